using System.Text.RegularExpressions;
using BitSieve.Storage;

namespace BitSieve;

/// <summary>How a database is opened.</summary>
public sealed record DatabaseOptions
{
    /// <summary>Open for reading only: no lock is taken, so this may share the database with its writer.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>When writes are fsynced; <see cref="Durability.Always"/> (the default) before each one is acknowledged.</summary>
    public Durability Durability { get; init; } = Durability.Always;

    /// <summary>
    /// When a writer compacts a collection in the background, while searches and writes continue
    /// (<see cref="CompactionPolicy"/>); null never compacts in the background (<see cref="Collection.Compact"/> still does).
    /// </summary>
    public CompactionPolicy? Compaction { get; init; } = CompactionPolicy.Default;

    /// <summary>
    /// The log is checkpointed once it outgrows the last snapshot of the index and this floor: replaying it stays
    /// cheaper than a reload, and checkpoints cost O(1) per written byte. Internal: tests lower it.
    /// </summary>
    internal long CheckpointFloorBytes { get; init; } = 64L << 20;
}

/// <summary>
/// A BitSieve database: a directory of collections (<c>collections/&lt;name&gt;/</c>), owned for writing by one
/// process at a time. Disposing it checkpoints and closes its collections and releases the lock.
/// </summary>
public sealed partial class Database : IDisposable
{
    /// <summary>The default database directory, in the current folder.</summary>
    public const string DefaultDirectory = ".bitsieve";

    private const string CollectionsFolder = "collections";
    private readonly DatabaseLock? _lock;
    private readonly Dictionary<string, Collection> _open = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    private Database(string path, DatabaseOptions options, DatabaseLock? databaseLock)
    {
        Path = path;
        Options = options;
        _lock = databaseLock;
    }

    /// <summary>The database directory.</summary>
    public string Path { get; }

    /// <summary>How it was opened.</summary>
    public DatabaseOptions Options { get; }

    /// <summary>
    /// Opens a database directory, creating it when opened for writing. Throws <see cref="DatabaseLockedException"/>
    /// naming the holder when another process (or another <see cref="Database"/>) has it open for writing.
    /// </summary>
    public static Database Open(string path, DatabaseOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DatabaseOptions();
        options.Compaction?.Validate();
        path = System.IO.Path.GetFullPath(path);
        if (options.ReadOnly)
        {
            if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"No BitSieve database at '{path}'.");
            return new Database(path, options, null);
        }
        string collections = System.IO.Path.Combine(path, CollectionsFolder);
        if (!Directory.Exists(collections))
        {
            // Made durable before any collection is created in it: a power loss must not take collections/ away.
            bool newDatabase = !Directory.Exists(path);
            StorageFiles.Current.CreateDirectory(collections);
            StorageFiles.Current.SyncDirectory(path);
            if (newDatabase && System.IO.Path.GetDirectoryName(path) is { } parent) StorageFiles.Current.SyncDirectory(parent);
        }
        var database = new Database(path, options, DatabaseLock.Acquire(path));
        try
        {
            database.RecoverReplacement();
            database.RemoveStagingFolders();
        }
        catch
        {
            database._lock?.Dispose(); // an open that fails holds no lock
            throw;
        }
        return database;
    }

    /// <summary>The names of the collections, in ordinal order.</summary>
    public IReadOnlyList<string> CollectionNames()
    {
        string root = System.IO.Path.Combine(Path, CollectionsFolder);
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root).Select(System.IO.Path.GetFileName).OfType<string>()
            .Where(IsValidName).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether a collection exists.</summary>
    public bool CollectionExists(string name) => IsValidName(name) && Directory.Exists(CollectionPath(name));

    /// <summary>Creates a collection; throws <see cref="InvalidOperationException"/> if it exists.</summary>
    public Collection CreateCollection(string name, CollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_gate)
        {
            CheckWritable();
            CheckName(name);
            if (Directory.Exists(CollectionPath(name))) throw new InvalidOperationException($"Collection '{name}' already exists.");
            CheckPathFits(name);
            // Built in a hidden folder and renamed into place: a crash leaves no half-created collection. The staging
            // name does not embed the collection's, so that every name the file system can hold can be staged.
            string staging = StagingPath("creating");
            try
            {
                Collection.Initialize(staging, options);
                StorageFiles.Current.MoveDirectory(staging, CollectionPath(name));
                StorageFiles.Current.SyncDirectory(System.IO.Path.Combine(Path, CollectionsFolder));
            }
            catch (PathTooLongException e)
            {
                TryDeleteDirectory(staging);
                throw new ArgumentException($"The file system of '{Path}' cannot hold a folder named '{name}' ({name.Length} characters); choose a shorter collection name.", nameof(name), e);
            }
            catch
            {
                TryDeleteDirectory(staging);
                throw;
            }
            return OpenLocked(name);
        }
    }

    /// <summary>Opens a collection (once; later calls return the same object).</summary>
    /// <exception cref="KeyNotFoundException">No such collection.</exception>
    public Collection GetCollection(string name)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CheckName(name);
            return OpenLocked(name);
        }
    }

    /// <summary>Opens a collection, creating it with <paramref name="options"/> when it does not exist.</summary>
    public Collection GetOrCreateCollection(string name, CollectionOptions options)
    {
        lock (_gate)
        {
            return CollectionExists(name) ? GetCollection(name) : CreateCollection(name, options);
        }
    }

    /// <summary>
    /// Reads every file of every collection (or of <paramref name="collection"/> only) and reports each damaged file
    /// and what its damage costs, like SQLite's <c>integrity_check</c>: manifests (checksum and values), column files
    /// and segments of originals (payload checksums, the originals read in full), every log record, the points
    /// databases (<c>PRAGMA integrity_check</c> and every row's checksum), and whether ids and the index agree. Changes nothing, so it may run
    /// on a read-only open beside the writer; its open collections are not used.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No collection is named <paramref name="collection"/>.</exception>
    public IntegrityReport Check(string? collection = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        IReadOnlyList<string> names = collection is null ? CollectionNames() : [collection];
        if (collection is not null && !CollectionExists(collection))
            throw new KeyNotFoundException($"Collection '{collection}' does not exist in the database '{Path}'.");
        return new IntegrityReport([.. names.Select(name => Collection.Check(name, CollectionPath(name), Path))]);
    }

    /// <summary>Deletes a collection and its files; returns false when it does not exist.</summary>
    public bool DeleteCollection(string name)
    {
        lock (_gate)
        {
            CheckWritable();
            CheckName(name);
            string path = CollectionPath(name);
            if (!Directory.Exists(path)) return false;
            if (_open.Remove(name, out var collection)) collection.Close(checkpoint: false);
            // Renamed away first, so the name is free at once even if removing the files takes a while or fails.
            string doomed = StagingPath("deleting");
            StorageFiles.Current.MoveDirectory(path, doomed);
            StorageFiles.Current.SyncDirectory(System.IO.Path.Combine(Path, CollectionsFolder));
            TryDeleteDirectory(doomed);
            return true;
        }
    }

    /// <summary>Checkpoints and closes every open collection, then releases the lock.</summary>
    public void Dispose() => Close(checkpoint: !Options.ReadOnly);

    /// <summary>Closes, optionally without the closing checkpoints (as after a crash, for tests of recovery).</summary>
    internal void Close(bool checkpoint)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            List<Exception> errors = [];
            foreach (var collection in _open.Values)
            {
                try
                {
                    collection.Close(checkpoint);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    errors.Add(e);
                }
            }
            _open.Clear();
            _lock?.Dispose();
            if (errors.Count > 0) throw new AggregateException("Some collections could not be checkpointed; their logs will be replayed on the next open.", errors);
        }
    }

    /// <summary>Collection names: letters, digits, '_', '-', '.', 1–255 characters, not starting with '.'.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    private Collection OpenLocked(string name)
    {
        if (_open.TryGetValue(name, out var open)) return open;
        string path = CollectionPath(name);
        if (!Directory.Exists(path)) throw new KeyNotFoundException($"Collection '{name}' does not exist in the database '{Path}'.");
        var collection = Collection.Open(name, path, Options);
        _open[name] = collection;
        return collection;
    }

    private string CollectionPath(string name) => System.IO.Path.Combine(Path, CollectionsFolder, name);

    /// <summary>
    /// SQLite opens no database whose full path is longer than this many bytes (its Unix VFS's <c>MAX_PATHNAME</c>, 512,
    /// less the 8 bytes its pager keeps for the <c>-journal</c> suffix); a collection whose points database would lie past
    /// it could be created but never opened.
    /// </summary>
    internal const int MaxSqlitePathBytes = 504;

    /// <summary>Refuses a name whose collection files would lie past a path limit, before anything is created.</summary>
    private void CheckPathFits(string name)
    {
        string points = System.IO.Path.GetFullPath(System.IO.Path.Combine(CollectionPath(name), Storage.PointStore.FileName));
        int bytes = System.Text.Encoding.UTF8.GetByteCount(points);
        if (bytes > MaxSqlitePathBytes)
            throw new ArgumentException($"The collection name '{name}' ({name.Length} characters) is too long for a database at '{Path}': its points database " +
                $"would be at a path of {bytes} bytes, and SQLite opens files at paths of at most {MaxSqlitePathBytes} bytes. Choose a shorter name " +
                $"(at most {name.Length - (bytes - MaxSqlitePathBytes)} characters here) or a database folder with a shorter path.", nameof(name));
    }

    /// <summary>
    /// Deletes what a crash or power loss left of collections being created, deleted or replaced (<see cref="StagingPath"/>):
    /// a staging folder is never a collection (an old collection a replacement journal still names was put back by
    /// <see cref="RecoverReplacement"/> first), and only the writer, which holds the lock now, makes them.
    /// </summary>
    private void RemoveStagingFolders()
    {
        foreach (string folder in Directory.EnumerateDirectories(System.IO.Path.Combine(Path, CollectionsFolder), ".*"))
        {
            string name = System.IO.Path.GetFileName(folder);
            if (name.StartsWith(".creating-", StringComparison.Ordinal) || name.StartsWith(".deleting-", StringComparison.Ordinal)
                || name.StartsWith(".replaced-", StringComparison.Ordinal)) TryDeleteDirectory(folder);
        }
    }

    /// <summary>A hidden folder beside the collections (<c>.creating-GUID</c>, <c>.deleting-GUID</c>, <c>.replaced-GUID</c>: 42 characters), never listed as a collection.</summary>
    private string StagingPath(string purpose) => System.IO.Path.Combine(Path, CollectionsFolder, $".{purpose}-{Guid.NewGuid():N}");

    private void CheckWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Options.ReadOnly) throw new InvalidOperationException($"The database '{Path}' is open read-only.");
    }

    private static void CheckName(string name)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"'{name}' is not a valid collection name: use 1–255 letters, digits, '_', '-' or '.', not starting with '.'.", nameof(name));
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            StorageFiles.Current.DeleteDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,254}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
