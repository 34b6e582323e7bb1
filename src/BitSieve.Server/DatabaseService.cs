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

    /// <summary>Checkpoints and closes every collection and releases the lock.</summary>
    public void Dispose() => Database.Dispose();
}
