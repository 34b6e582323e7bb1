using BitSieve.Storage;

namespace BitSieve.TestKit;

/// <summary>A database in a fresh temporary folder (OS-buffered durability), removed on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly TempDirectory _directory = new();

    /// <summary>Opens the database.</summary>
    public TempDatabase()
    {
        Database = Open();
    }

    /// <summary>The database's folder.</summary>
    public string Path => _directory.Path;

    /// <summary>The open database.</summary>
    public Database Database { get; private set; }

    /// <summary>Closes and reopens the database (everything acknowledged must survive).</summary>
    public void Reopen()
    {
        Database.Dispose();
        Database = Open();
    }

    /// <summary>Closes the database and deletes its folder.</summary>
    public void Dispose()
    {
        Database.Dispose();
        _directory.Dispose();
    }

    private Database Open() => Database.Open(Path, new DatabaseOptions { Durability = Durability.OsBuffered });
}
