using BitSieve.Server.Http;

namespace BitSieve.Server;

/// <summary>
/// The server's one <see cref="BitSieve.Database"/>, opened for writing when the server starts (so a database that
/// another process holds fails the start, naming the holder) and checkpointed and closed when it stops.
/// </summary>
public sealed class DatabaseService : IDisposable
{
    /// <summary>Opens the database directory, creating it if needed.</summary>
    public DatabaseService(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Database = Database.Open(options.DatabasePath);
    }

    /// <summary>The database.</summary>
    public Database Database { get; }

    /// <summary>An existing collection; a 404 in Qdrant's words when there is none.</summary>
    public Collection Get(string name)
    {
        if (!Database.CollectionExists(name)) throw ApiException.CollectionNotFound(name);
        try
        {
            return Database.GetCollection(name);
        }
        catch (KeyNotFoundException)
        {
            // Deleted between the check and the open.
            throw ApiException.CollectionNotFound(name);
        }
    }

    /// <summary>Checkpoints and closes every collection and releases the lock.</summary>
    public void Dispose() => Database.Dispose();
}
