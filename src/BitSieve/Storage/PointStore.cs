using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace BitSieve.Storage;

/// <summary>
/// The points database of a collection (SQLite, <c>points.db</c>): owns its connections (one writer; searches read
/// through a pool of read-only connections, which SQLite's WAL mode lets run alongside the writer, and read snapshots),
/// its schema and format upgrades, the transaction of each applied log record (with the sequence number of the last
/// one), SQLite's checkpoint, and the collection's properties. What the database holds has a type each:
/// <see cref="Rows"/> (ids ↔ internal keys, payloads, row checksums), <see cref="Lexical"/> (the FTS5 index) and
/// <see cref="PayloadIndexes"/>. Deleted points are removed here at once; the vector index keeps their tombstones until
/// it is compacted.
/// </summary>
internal sealed class PointStore : IDisposable
{
    public const string FileName = "points.db";

    /// <summary>SQLite's <c>application_id</c> of a BitSieve points database ("BSVP").</summary>
    private const int ApplicationId = 0x42535650;
    private const int FormatVersion = 2;

    /// <summary>The format before row checksums: read as found; a writer's open upgrades it to <see cref="FormatVersion"/>.</summary>
    private const int UncheckedFormatVersion = 1;

    /// <summary>The indexes SQLite made for <c>num_id UNIQUE</c> and <c>uuid UNIQUE</c> (named by their order in the table).</summary>
    internal const string NumberIndex = "sqlite_autoindex_points_1", UuidIndex = "sqlite_autoindex_points_2";

    private readonly string _path;
    private readonly SqliteConnection? _writer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private readonly string _readConnectionString;

    /// <summary>The connection of the read snapshot this flow of control is in (<see cref="BeginSnapshot"/>), if any.</summary>
    private readonly AsyncLocal<SqliteConnection?> _snapshot = new();

    private PointStore(string path, SqliteConnection? writer, string readConnectionString, bool checksums)
    {
        _path = path;
        _writer = writer;
        _readConnectionString = readConnectionString;
        Rows = new PointRows(this, checksums);
        Lexical = new LexicalIndex(this);
        PayloadIndexes = new PayloadIndexes(this);
    }

    /// <summary>Point ids ↔ internal keys, payloads, and their checksums.</summary>
    public PointRows Rows { get; }

    /// <summary>The lexical (FTS5) index of one payload field.</summary>
    public LexicalIndex Lexical { get; }

    /// <summary>The payload indexes that serve filters.</summary>
    public PayloadIndexes PayloadIndexes { get; }

    /// <summary>The file's path.</summary>
    public string Path => _path;

    /// <summary>The sequence number of the last log record applied here.</summary>
    public long AppliedSequence { get; private set; }

    /// <summary>Opens or (for writing) creates the points database of a collection directory.</summary>
    public static PointStore Open(string directory, bool readOnly)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        string read = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        if (readOnly && !File.Exists(path)) throw new FileNotFoundException($"The points database '{path}' is missing.", path);
        SqliteConnection? writer = null;
        try
        {
            if (!readOnly)
            {
                writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
                writer.Open();
                // SQLite checkpoints only when asked (Checkpoint): closing, even after a failed open, leaves points.db as it was.
                int result = SQLitePCL.raw.sqlite3_db_config(writer.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
                if (result != SQLitePCL.raw.SQLITE_OK) throw new SqliteException($"sqlite3_db_config(NO_CKPT_ON_CLOSE) failed with code {result}.", result);
                PointSetSums.Register(writer);
                Initialize(writer, path);
            }
            long version;
            using (var probe = writer is null ? new SqliteConnection(read) : null)
            {
                probe?.Open();
                version = CheckFormat(writer ?? probe!, path);
            }
            var store = new PointStore(path, writer, read, checksums: version == FormatVersion);
            var connection = writer ?? store.Rent();
            // A reader reads these in one snapshot: as separate statements, a commit of the writer between them would
            // pair an older next key with a newer largest key and look like damage.
            if (writer is null) Execute(connection, "BEGIN DEFERRED;");
            try
            {
                store.AppliedSequence = store.ReadMeta(connection, "applied_sequence");
                ulong nextKey = (ulong)Math.Max(1, store.ReadMeta(connection, "next_key"));
                // A next key at or below a stored one would make a new point replace an existing one.
                long maxKey = Scalar(connection, "SELECT coalesce(max(key), 0) FROM points");
                if (maxKey >= (long)nextKey)
                    throw new CorruptFileException(path, $"its next internal key ({nextKey}) is not above its largest key ({maxKey}): new points would overwrite existing ones.", null);
                store.Rows.NextKey = nextKey;
                store.Lexical.Load(connection);
            }
            finally
            {
                if (writer is null) store.EndRead(connection);
            }
            // A text index of an earlier form (Porter stemming inside FTS5, no term counts, unmarked closing entries) is derived data: rebuilt
            // from the payloads; a reader searching one gets an error that says so.
            if (writer is not null && store.Lexical.TextField is { } textField && !store.Lexical.Current) store.Lexical.Create(textField);
            return store;
        }
        catch (SqliteException e)
        {
            writer?.Dispose();
            throw new CorruptFileException(path, $"it is not a readable SQLite database ({e.Message}).", e);
        }
        catch
        {
            writer?.Dispose();
            throw;
        }
    }

    private static void Initialize(SqliteConnection connection, string path)
    {
        // WAL: readers never block the writer. synchronous=NORMAL: commits are not fsynced one by one; the collection's
        // own log holds every acknowledged write until a checkpoint fsyncs this file or its WAL (see Checkpoint).
        Execute(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={BusyMilliseconds};");
        long application = Scalar(connection, "PRAGMA application_id");
        long tables = Scalar(connection, "SELECT count(*) FROM sqlite_schema");
        if (application == 0 && tables == 0)
        {
            Execute(connection, $"""
                PRAGMA application_id = {ApplicationId};
                PRAGMA user_version = {FormatVersion};
                CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE points(
                  key     INTEGER PRIMARY KEY,
                  num_id  INTEGER UNIQUE,
                  uuid    TEXT UNIQUE,
                  payload TEXT NOT NULL DEFAULT '{"{}"}',
                  checksum INTEGER,
                  CHECK ((num_id IS NULL) <> (uuid IS NULL)));
                CREATE TABLE payload_indexes(field TEXT PRIMARY KEY, schema TEXT NOT NULL);
                CREATE TABLE properties(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                INSERT INTO meta VALUES ('applied_sequence', 0), ('next_key', 1);
                """);
        }
        if (CheckFormat(connection, path) == UncheckedFormatVersion) AddChecksums(connection, path);
    }

    /// <summary>Checks the file's identity and schema; returns its format version (<see cref="UncheckedFormatVersion"/> or <see cref="FormatVersion"/>).</summary>
    private static long CheckFormat(SqliteConnection connection, string path)
    {
        long application = Scalar(connection, "PRAGMA application_id");
        if (application != ApplicationId)
            throw new CorruptFileException(path, "it is an SQLite database, but not a BitSieve points database (wrong application_id).", null);
        long version = Scalar(connection, "PRAGMA user_version");
        if (version is not (FormatVersion or UncheckedFormatVersion))
            throw new CorruptFileException(path, $"points database format version {version} is not supported (this build reads versions {UncheckedFormatVersion} and {FormatVersion}).", null);
        // A damaged schema (its text lives in the first page) shows here, when the tables are compiled, not at the first query.
        Execute(connection, $"""
            SELECT key, num_id, uuid, payload{(version == FormatVersion ? ", checksum" : "")} FROM points LIMIT 0;
            SELECT key FROM points INDEXED BY {NumberIndex} WHERE num_id IS NOT NULL LIMIT 0;
            SELECT key FROM points INDEXED BY {UuidIndex} WHERE uuid IS NOT NULL LIMIT 0;
            SELECT name, value FROM meta LIMIT 0;
            SELECT field, schema FROM payload_indexes LIMIT 0;
            SELECT name, value FROM properties LIMIT 0;
            """);
        return version;
    }

    /// <summary>
    /// Upgrades a format-1 file (no row checksums) in one transaction: SQLite's <c>integrity_check</c> first (a damaged
    /// file is reported, not blessed with checksums), then the <c>checksum</c> column, filled from every row as it is.
    /// </summary>
    private static void AddChecksums(SqliteConnection connection, string path)
    {
        var report = IntegrityCheck(connection);
        if (report is not ["ok"])
            throw new CorruptFileException(path, $"SQLite's integrity_check reports, before its rows get checksums: {string.Join("; ", report.Take(10))}", null);
        using var transaction = connection.BeginTransaction();
        Execute(connection, "ALTER TABLE points ADD COLUMN checksum INTEGER;", transaction);
        using var select = Command(connection, "SELECT key, num_id, uuid, payload FROM points WHERE key > $after ORDER BY key LIMIT 4096", transaction);
        var after = select.Parameters.Add("$after", SqliteType.Integer);
        using var update = Command(connection, "UPDATE points SET checksum = $c WHERE key = $k", transaction);
        var c = update.Parameters.Add("$c", SqliteType.Integer);
        var k = update.Parameters.Add("$k", SqliteType.Integer);
        var rows = new List<(long Key, long Checksum)>();
        after.Value = long.MinValue;
        do
        {
            rows.Clear();
            using (var reader = select.ExecuteReader())
                while (reader.Read())
                {
                    long key = reader.GetInt64(0);
                    rows.Add((key, PointRowChecksum.Of(key, reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3))));
                }
            foreach (var (key, checksum) in rows)
            {
                k.Value = key;
                c.Value = checksum;
                update.ExecuteNonQuery();
            }
            if (rows.Count > 0) after.Value = rows[^1].Key;
        }
        while (rows.Count > 0);
        Execute(connection, $"PRAGMA user_version = {FormatVersion};", transaction);
        transaction.Commit();
    }

    /// <summary>Applies one upsert record (in one transaction, with its sequence number): rows, then the lexical index.</summary>
    public void ApplyUpsert(long sequence, IReadOnlyList<StoredPoint> points) => Write(sequence, (connection, transaction) => Upsert(connection, transaction, points));

    /// <summary>Applies one delete record.</summary>
    public void ApplyDelete(long sequence, IReadOnlyList<ulong> keys) => Write(sequence, (connection, transaction) => Delete(connection, transaction, keys));

    /// <summary>Applies one replace record: its deletes and its upserts in one transaction.</summary>
    public void ApplyReplace(long sequence, IReadOnlyList<ulong> deleted, IReadOnlyList<StoredPoint> points) => Write(sequence, (connection, transaction) =>
    {
        Delete(connection, transaction, deleted);
        Upsert(connection, transaction, points);
    });

    /// <summary>Applies one payload record.</summary>
    public void ApplyPayloads(long sequence, IReadOnlyList<(ulong Key, string Payload)> payloads) => Write(sequence, (connection, transaction) =>
    {
        Rows.UpdatePayloads(connection, transaction, payloads);
        Lexical.Update(connection, transaction, payloads.Select(x => (x.Key, (string?)x.Payload)));
    });

    private void Upsert(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<StoredPoint> points)
    {
        Rows.Upsert(connection, transaction, points);
        Lexical.Update(connection, transaction, points.Select(point => (point.Key, (string?)point.Payload)));
    }

    private void Delete(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<ulong> keys)
    {
        Rows.Delete(connection, transaction, keys);
        Lexical.Update(connection, transaction, keys.Select(key => (key, (string?)null)));
    }

    /// <summary>A collection property (for example the embedding model that made its vectors), or null.</summary>
    public string? GetProperty(string name)
    {
        string? value = null;
        Read(connection =>
        {
            using var command = Command(connection, "SELECT value FROM properties WHERE name = $n");
            command.Parameters.AddWithValue("$n", name);
            value = command.ExecuteScalar() as string;
        });
        return value;
    }

    /// <summary>Sets a collection property.</summary>
    public void SetProperty(string name, string value)
    {
        using var command = Command(Writer(), "INSERT OR REPLACE INTO properties(name, value) VALUES ($n, $v)");
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    /// <summary>The rows of SQLite's <c>PRAGMA integrity_check</c>: one row "ok" when the file is sound.</summary>
    public List<string> IntegrityCheck()
    {
        List<string> rows = [];
        Read(connection => rows = IntegrityCheck(connection));
        return rows;
    }

    private static List<string> IntegrityCheck(SqliteConnection connection)
    {
        var rows = new List<string>();
        using var command = Command(connection, "PRAGMA integrity_check");
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows.Add(reader.GetString(0));
        return rows;
    }

    /// <summary>
    /// How long a checkpoint waits for readers to leave SQLite's WAL before it makes the WAL durable instead of emptying
    /// it: long enough for searches (milliseconds each) to end, short enough that writes, which wait meanwhile, barely notice.
    /// </summary>
    private const int CheckpointBusyMilliseconds = 1000;

    /// <summary>How long any other statement waits for a lock SQLite's other connections hold.</summary>
    private const int BusyMilliseconds = 10_000;

    /// <summary>
    /// Makes everything applied so far durable, so that the collection's log may be reset. SQLite's own checkpoint
    /// (<c>wal_checkpoint(TRUNCATE)</c>) copies its WAL into <c>points.db</c>, fsyncs it and empties the WAL. Readers
    /// that keep using the WAL for longer than <see cref="CheckpointBusyMilliseconds"/> stop it short (SQLite answers
    /// "busy": what no reader still needs is copied, the rest stays in the WAL); the WAL file and its directory are
    /// then fsynced, so every commit is on disk in the WAL, which SQLite replays after a power loss, and the WAL is
    /// emptied by a later checkpoint once the readers have moved on (docs/storage.md, "Checkpoints that readers cannot starve").
    /// </summary>
    public void Checkpoint()
    {
        var writer = Writer();
        Execute(writer, $"PRAGMA busy_timeout={CheckpointBusyMilliseconds};");
        bool busy;
        try
        {
            // The first column is SQLite's "busy" flag: 1 when the checkpoint could not copy and truncate the whole WAL.
            busy = Scalar(writer, "PRAGMA wal_checkpoint(TRUNCATE);") != 0;
        }
        finally
        {
            Execute(writer, $"PRAGMA busy_timeout={BusyMilliseconds};");
        }
        if (!busy) return;
        StorageFiles.Current.SyncFile(_path + "-wal");
        StorageFiles.Current.SyncDirectory(System.IO.Path.GetDirectoryName(_path)!);
    }

    /// <summary>Bytes of the database file and its SQLite WAL.</summary>
    public long FileBytes() =>
        new[] { _path, _path + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    public void Dispose()
    {
        _writer?.Dispose();
        while (_readers.TryTake(out var reader)) reader.Dispose();
    }

    private void Write(long sequence, Action<SqliteConnection, SqliteTransaction> apply)
    {
        var writer = Writer();
        using var transaction = writer.BeginTransaction();
        apply(writer, transaction);
        SetMeta(writer, transaction, "applied_sequence", sequence);
        transaction.Commit();
        AppliedSequence = sequence;
    }

    internal SqliteConnection Writer() => _writer ?? throw new InvalidOperationException("The collection is open read-only.");

    /// <summary>
    /// Starts a read transaction and reads <c>applied_sequence</c> in it: until the snapshot is disposed, every read of
    /// this store on this flow of control sees the database as it was after that record, whatever the writer commits
    /// meanwhile (SQLite's WAL mode keeps the pages of a reader's snapshot). Keep it short: the writer's
    /// <c>wal_checkpoint</c> cannot pass a snapshot that is still open.
    /// </summary>
    public ReadSnapshot BeginSnapshot()
    {
        if (_snapshot.Value is not null) throw new InvalidOperationException("A read snapshot is already open on this flow of control.");
        var connection = Rent();
        try
        {
            Execute(connection, "BEGIN DEFERRED;");
            long applied;
            try
            {
                applied = ReadMeta(connection, "applied_sequence");
            }
            catch
            {
                Execute(connection, "ROLLBACK;");
                throw;
            }
            _snapshot.Value = connection;
            return new ReadSnapshot(this, connection, applied);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void EndSnapshot(SqliteConnection connection)
    {
        _snapshot.Value = null;
        EndRead(connection);
    }

    /// <summary>Ends the read transaction of a rented connection and returns it to the pool.</summary>
    private void EndRead(SqliteConnection connection)
    {
        try
        {
            Execute(connection, "COMMIT;");
        }
        catch (SqliteException)
        {
            connection.Dispose(); // never hand a connection still inside a transaction to another reader
            return;
        }
        Return(connection);
    }

    /// <summary>An open read snapshot of the points database (see <see cref="BeginSnapshot"/>); disposing ends it.</summary>
    internal sealed class ReadSnapshot(PointStore store, SqliteConnection connection, long sequence) : IDisposable
    {
        private bool _ended;

        /// <summary>The last log record applied in this snapshot.</summary>
        public long Sequence { get; } = sequence;

        public void Dispose()
        {
            if (_ended) return;
            _ended = true;
            store.EndSnapshot(connection);
        }
    }

    /// <summary>Runs a read (in this flow's snapshot, if any); SQLite finding its file malformed is reported as damage of it.</summary>
    internal void Read(Action<SqliteConnection> read)
    {
        try
        {
            if (_snapshot.Value is { } pinned)
            {
                read(pinned);
                return;
            }
            var connection = Rent();
            try
            {
                read(connection);
            }
            finally
            {
                Return(connection);
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB)
        {
            throw new CorruptFileException(_path, $"SQLite finds it malformed ({e.Message}).", e);
        }
    }

    private SqliteConnection Rent()
    {
        if (_readers.TryTake(out var connection)) return connection;
        connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        PointSetSums.Register(connection);
        Execute(connection, $"PRAGMA busy_timeout={BusyMilliseconds};");
        return connection;
    }

    private void Return(SqliteConnection connection) => _readers.Add(connection);

    private long ReadMeta(SqliteConnection connection, string name)
    {
        using var command = Command(connection, "SELECT value FROM meta WHERE name = $n");
        command.Parameters.AddWithValue("$n", name);
        return command.ExecuteScalar() is long value ? value
            : throw new CorruptFileException(_path, $"its meta table lacks \"{name}\".", null);
    }

    internal static void SetMeta(SqliteConnection connection, SqliteTransaction transaction, string name, long value)
    {
        using var command = Command(connection, "UPDATE meta SET value = $v WHERE name = $n", transaction);
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    internal static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(connection, sql, transaction);
        command.ExecuteNonQuery();
    }

    internal static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
