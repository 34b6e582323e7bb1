namespace BitSieve.Storage;

/// <summary>
/// The one path by which BitSieve changes its own files — the write-ahead log, the manifest, the column files and
/// segments of originals of every collection: creating and opening them for writing, fsyncing them, renaming one over
/// another, deleting them, and fsyncing the directories that hold those names — and its directories: the database's
/// <c>collections/</c>, each collection's folder (built under a staging name, renamed into place, renamed away and
/// deleted) and its <c>index/</c>. Bytes are written to the returned
/// <see cref="FileStream"/> directly; only the steps that decide what survives a power loss pass through here, so the
/// tests can model a power loss (<c>PowerLossTests</c>: every write not yet fsynced, and every directory entry not yet
/// made durable by a directory fsync, is lost). SQLite writes its files (<c>points.db</c> and its <c>-wal</c>, <c>-shm</c>)
/// itself and makes its checkpoints durable itself; only the fsync of its WAL that a checkpoint makes when readers keep
/// SQLite from emptying it (<see cref="SyncFile"/>) passes through here.
/// <para>
/// <see cref="Current"/> is the operating system's implementation, set once; a log append costs one virtual call for
/// its fsync, beside the fsync itself.
/// </para>
/// </summary>
internal class StorageFiles
{
    /// <summary>The implementation in use: the operating system's, unless a test has installed a model of the disk.</summary>
    public static StorageFiles Current { get; set; } = new();

    /// <summary>Creates (or truncates) a file and opens it for writing, for this process alone.</summary>
    public virtual FileStream Create(string path, int bufferSize = 4096) =>
        new(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize);

    /// <summary>Opens an existing file for reading and writing (the log, for appending); others may read it.</summary>
    public virtual FileStream OpenForWriting(string path) =>
        new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);

    /// <summary>Writes what <paramref name="stream"/> buffers and fsyncs it: its bytes and length are then durable.</summary>
    public virtual void Sync(FileStream stream) => stream.Flush(flushToDisk: true);

    /// <summary>
    /// Fsyncs a file that another component writes (SQLite's <c>points.db-wal</c>): the bytes and length it has now are
    /// then durable. Opened for writing only because some systems fsync nothing else; nothing is written.
    /// </summary>
    public virtual void SyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Renames <paramref name="source"/> over <paramref name="destination"/> (atomically where the OS does). The new
    /// name is durable only once its directory is synced (<see cref="SyncDirectory"/>).
    /// </summary>
    public virtual void Replace(string source, string destination) => File.Move(source, destination, overwrite: true);

    /// <summary>Deletes a file (nothing when it does not exist); durable once its directory is synced.</summary>
    public virtual void Delete(string path) => File.Delete(path);

    /// <summary>Creates a directory and any missing parents (nothing when it exists); durable once its parent is synced.</summary>
    public virtual void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <summary>
    /// Renames a directory (a collection's staging folder into place, or a collection out of the way), atomically; durable
    /// once the directory that holds both names is synced (<see cref="SyncDirectory"/>).
    /// </summary>
    public virtual void MoveDirectory(string source, string destination) => Directory.Move(source, destination);

    /// <summary>Deletes a directory and everything in it (nothing when it does not exist); durable once its parent is synced.</summary>
    public virtual void DeleteDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }

    /// <summary>Makes the names created, renamed or deleted in <paramref name="directory"/> durable (see <see cref="DurableDirectory"/>).</summary>
    public virtual void SyncDirectory(string directory) => DurableDirectory.Sync(directory);
}
