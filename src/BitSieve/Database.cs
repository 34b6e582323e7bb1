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
        Directory.CreateDirectory(System.IO.Path.Combine(path, CollectionsFolder));
        return new Database(path, options, DatabaseLock.Acquire(path));
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
            // Built in a hidden folder and renamed into place: a crash leaves no half-created collection.
            string staging = System.IO.Path.Combine(Path, CollectionsFolder, $".creating-{name}-{Guid.NewGuid():N}");
            try
            {
                Collection.Initialize(staging, options);
                Directory.Move(staging, CollectionPath(name));
                DurableDirectory.Sync(System.IO.Path.Combine(Path, CollectionsFolder));
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
            string doomed = System.IO.Path.Combine(Path, CollectionsFolder, $".deleting-{name}-{Guid.NewGuid():N}");
            Directory.Move(path, doomed);
            DurableDirectory.Sync(System.IO.Path.Combine(Path, CollectionsFolder));
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
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,254}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
