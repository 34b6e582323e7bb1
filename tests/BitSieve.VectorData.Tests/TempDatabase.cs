namespace BitSieve.VectorData.Tests;

/// <summary>A database in a fresh temporary folder, removed on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bitsieve-vd-" + Guid.NewGuid().ToString("N"));
        Database = Database.Open(Path, new DatabaseOptions { Durability = BitSieve.Storage.Durability.OsBuffered });
    }

    public string Path { get; }

    public Database Database { get; private set; }

    /// <summary>Closes and reopens the database (everything acknowledged must survive).</summary>
    public void Reopen()
    {
        Database.Dispose();
        Database = Database.Open(Path, new DatabaseOptions { Durability = BitSieve.Storage.Durability.OsBuffered });
    }

    public void Dispose()
    {
        Database.Dispose();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
