using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace BitSieve.Embeddings.Caching;

/// <summary>
/// Embeddings already computed, shared by every database and process of a user: one SQLite file,
/// <c>embeddings.sqlite</c>, in <see cref="DefaultDirectory()"/>. An entry is keyed by the model's
/// <see cref="EmbeddingModelInfo.Identity"/> and the XxHash128 of the exact UTF-8 text the model encoded (prefix
/// included); the vector is stored as little-endian float32.
/// </summary>
/// <remarks>
/// <para>Schema (<c>PRAGMA user_version = 1</c>):</para>
/// <code>
/// models(id INTEGER PRIMARY KEY, identity TEXT NOT NULL UNIQUE, dimensions INTEGER NOT NULL)
/// embeddings(model_id INTEGER NOT NULL, content_hash BLOB NOT NULL,  -- 16 bytes, XxHash128
///            vector BLOB NOT NULL,                                    -- dimensions × float32
///            PRIMARY KEY (model_id, content_hash)) WITHOUT ROWID
/// </code>
/// <para>
/// The database runs in WAL mode with a busy timeout, so several processes can read and write it at once; writes
/// are <c>INSERT OR IGNORE</c> (two processes embedding the same text store it once). One instance is safe to share
/// between threads: it serializes its own calls on one connection.
/// </para>
/// </remarks>
public sealed class EmbeddingCache : IDisposable
{
    /// <summary>Environment variable that overrides the cache folder.</summary>
    public const string DirectoryVariable = "BITSIEVE_CACHE_DIR";

    /// <summary>File name of the database inside the cache folder.</summary>
    public const string FileName = "embeddings.sqlite";

    private const int SchemaVersion = 1;
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Id, int Dimensions)> _models = new(StringComparer.Ordinal);
    private bool _disposed;

    private EmbeddingCache(string path, SqliteConnection connection)
    {
        DatabasePath = path;
        _connection = connection;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string DatabasePath { get; }

    /// <summary>
    /// The cache folder when none is given: <c>$BITSIEVE_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/bitsieve</c>, else
    /// <c>~/.cache/bitsieve</c> (on Windows <c>%LOCALAPPDATA%\bitsieve</c>).
    /// </summary>
    public static string DefaultDirectory() => DefaultDirectory(Environment.GetEnvironmentVariable);

    /// <summary><see cref="DefaultDirectory()"/> with the environment read through <paramref name="environment"/>.</summary>
    internal static string DefaultDirectory(Func<string, string?> environment)
    {
        if (environment(DirectoryVariable) is { Length: > 0 } configured) return Path.GetFullPath(configured);
        if (environment("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(Path.GetFullPath(xdg), "bitsieve");
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "bitsieve");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "bitsieve");
    }

    /// <summary>Opens (creating when needed) the cache in <paramref name="directory"/>, or in <see cref="DefaultDirectory()"/> when null.</summary>
    public static EmbeddingCache Open(string? directory = null)
    {
        string folder = string.IsNullOrWhiteSpace(directory) ? DefaultDirectory() : Path.GetFullPath(directory);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // One long-lived connection per instance; no pool keeps the file open after Dispose.
            Pooling = false,
            // Microsoft.Data.Sqlite retries a busy database for this long before failing a command.
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};");
            Execute(connection, "PRAGMA journal_mode = WAL;");
            Execute(connection, "PRAGMA synchronous = NORMAL;");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS models (
                    id INTEGER PRIMARY KEY,
                    identity TEXT NOT NULL UNIQUE,
                    dimensions INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS embeddings (
                    model_id INTEGER NOT NULL,
                    content_hash BLOB NOT NULL,
                    vector BLOB NOT NULL,
                    PRIMARY KEY (model_id, content_hash)) WITHOUT ROWID;
                """);
            using (var version = connection.CreateCommand())
            {
                version.CommandText = "PRAGMA user_version;";
                long found = (long)version.ExecuteScalar()!;
                if (found == 0) Execute(connection, $"PRAGMA user_version = {SchemaVersion};");
                else if (found != SchemaVersion)
                    throw new InvalidDataException($"{path} has embedding cache schema {found}; this build reads schema {SchemaVersion}. Delete the file or point {DirectoryVariable} elsewhere.");
            }
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new EmbeddingCache(path, connection);
    }

    /// <summary>The 16-byte key of a text: XxHash128 of its UTF-8 bytes.</summary>
    internal static byte[] ContentHash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return XxHash128.Hash(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Looks up each of <paramref name="texts"/> (the exact texts the model encodes, prefixes included) for the model
    /// <paramref name="modelIdentity"/>; an entry is null where the cache has no vector.
    /// </summary>
    public float[]?[] GetMany(string modelIdentity, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(modelIdentity);
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[]?[texts.Count];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!TryGetModel(modelIdentity, null, out long modelId, out int dimensions)) return result;
            using var transaction = _connection.BeginTransaction(deferred: true);
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT vector FROM embeddings WHERE model_id = $model AND content_hash = $hash;";
            command.Parameters.AddWithValue("$model", modelId);
            var hash = command.Parameters.Add("$hash", SqliteType.Blob);
            for (int i = 0; i < texts.Count; i++)
            {
                hash.Value = ContentHash(texts[i]);
                if (command.ExecuteScalar() is byte[] blob && blob.Length == dimensions * sizeof(float))
                    result[i] = MemoryMarshal.Cast<byte, float>(blob).ToArray();
            }
            transaction.Commit();
        }

        return result;
    }

    /// <summary>Stores vectors for <paramref name="texts"/> under <paramref name="modelIdentity"/>; texts already present keep their vector.</summary>
    public void PutMany(string modelIdentity, IReadOnlyList<string> texts, IReadOnlyList<ReadOnlyMemory<float>> vectors)
    {
        ArgumentNullException.ThrowIfNull(modelIdentity);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(vectors);
        if (texts.Count != vectors.Count) throw new ArgumentException($"{texts.Count} texts but {vectors.Count} vectors.", nameof(vectors));
        if (texts.Count == 0) return;
        int dimensions = vectors[0].Length;
        foreach (var v in vectors)
        {
            if (v.Length != dimensions) throw new ArgumentException("Vectors of one model must all have the same length.", nameof(vectors));
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                Insert(modelIdentity, dimensions, texts, vectors);
            }
            catch
            {
                _models.Clear(); // a model row added in the failed transaction rolled back with it
                throw;
            }
        }
    }

    private void Insert(string modelIdentity, int dimensions, IReadOnlyList<string> texts, IReadOnlyList<ReadOnlyMemory<float>> vectors)
    {
        // BEGIN IMMEDIATE takes the write lock up front (waiting out the busy timeout), so a second process cannot
        // turn this reader into a writer halfway and fail with SQLITE_BUSY.
        using var transaction = _connection.BeginTransaction(deferred: false);
        long modelId = GetOrAddModel(modelIdentity, dimensions, transaction);
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR IGNORE INTO embeddings (model_id, content_hash, vector) VALUES ($model, $hash, $vector);";
        command.Parameters.AddWithValue("$model", modelId);
        var hash = command.Parameters.Add("$hash", SqliteType.Blob);
        var vector = command.Parameters.Add("$vector", SqliteType.Blob);
        for (int i = 0; i < texts.Count; i++)
        {
            hash.Value = ContentHash(texts[i]);
            vector.Value = MemoryMarshal.AsBytes(vectors[i].Span).ToArray();
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Number of vectors stored, for one model identity or (null) for all.</summary>
    public long Count(string? modelIdentity = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _connection.CreateCommand();
            if (modelIdentity is null)
            {
                command.CommandText = "SELECT count(*) FROM embeddings;";
            }
            else
            {
                command.CommandText = "SELECT count(*) FROM embeddings e JOIN models m ON m.id = e.model_id WHERE m.identity = $identity;";
                command.Parameters.AddWithValue("$identity", modelIdentity);
            }
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    private bool TryGetModel(string identity, SqliteTransaction? transaction, out long id, out int dimensions)
    {
        if (_models.TryGetValue(identity, out var known))
        {
            (id, dimensions) = known;
            return true;
        }

        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, dimensions FROM models WHERE identity = $identity;";
        command.Parameters.AddWithValue("$identity", identity);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            id = 0;
            dimensions = 0;
            return false;
        }

        id = reader.GetInt64(0);
        dimensions = reader.GetInt32(1);
        _models[identity] = (id, dimensions);
        return true;
    }

    private long GetOrAddModel(string identity, int dimensions, SqliteTransaction transaction)
    {
        if (!TryGetModel(identity, transaction, out long id, out int known))
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR IGNORE INTO models (identity, dimensions) VALUES ($identity, $dimensions);";
            insert.Parameters.AddWithValue("$identity", identity);
            insert.Parameters.AddWithValue("$dimensions", dimensions);
            insert.ExecuteNonQuery();
            _models.Remove(identity);
            if (!TryGetModel(identity, transaction, out id, out known)) throw new InvalidOperationException($"Could not register model {identity} in {DatabasePath}.");
        }

        if (known != dimensions)
            throw new InvalidOperationException($"Model {identity} has {known}-dimensional vectors in {DatabasePath}, not {dimensions}.");
        return id;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
