using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BitSieve.Text;
using BitSieve.Filters;
using Microsoft.Data.Sqlite;

namespace BitSieve.Storage;

/// <summary>
/// The points database of a collection (SQLite, <c>points.db</c>): point ids (integers and UUIDs) mapped to stable
/// internal keys (what the vector index stores), JSON payloads, payload indexes, and the sequence number of the last
/// log record applied. Deleted points are removed here at once; the vector index keeps their tombstones until it is
/// compacted. One writer connection; searches read through a pool of read-only connections, which SQLite's WAL mode
/// lets run alongside the writer.
/// <para>Every row of <c>points</c> carries a checksum of its key, id and payload (<see cref="PointRowChecksum"/>),
/// written with the row and verified by every read that returns rows (<see cref="Get"/>, <see cref="Scroll"/>,
/// <see cref="KeysOf"/>); <see cref="VerifyKeys"/> checks, when a collection opens, that the table, the indexes on
/// point ids and the vector index hold the same points. SQLite keeps no checksums of its own pages: without these, a
/// flipped bit could hide a point or change a payload silently.</para>
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
    private const string NumberIndex = "sqlite_autoindex_points_1", UuidIndex = "sqlite_autoindex_points_2";

    private readonly string _path;
    private readonly SqliteConnection? _writer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private readonly string _readConnectionString;

    /// <summary>The connection of the read snapshot this flow of control is in (<see cref="BeginSnapshot"/>), if any.</summary>
    private readonly AsyncLocal<SqliteConnection?> _snapshot = new();

    /// <summary>Whether rows carry checksums (false only for a reader of a format-1 file).</summary>
    private readonly bool _checksums;

    private PointStore(string path, SqliteConnection? writer, string readConnectionString, bool checksums)
    {
        _path = path;
        _writer = writer;
        _readConnectionString = readConnectionString;
        _checksums = checksums;
    }

    /// <summary>The file's path.</summary>
    public string Path => _path;

    /// <summary>The sequence number of the last log record applied here.</summary>
    public long AppliedSequence { get; private set; }

    /// <summary>
    /// The payload key whose text the lexical index (FTS5 table <c>lexical</c>, rowid = point key) holds, or null when the
    /// collection has no text index. Set by a payload index of schema <c>text</c>.
    /// </summary>
    public PayloadPath? TextField { get; private set; }

    /// <summary>The next internal key to assign.</summary>
    public ulong NextKey { get; private set; } = 1;

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
            try
            {
                store.AppliedSequence = store.ReadMeta(connection, "applied_sequence");
                store.NextKey = (ulong)Math.Max(1, store.ReadMeta(connection, "next_key"));
                // A next key at or below a stored one would make a new point replace an existing one.
                long maxKey = Scalar(connection, "SELECT coalesce(max(key), 0) FROM points");
                if (maxKey >= (long)store.NextKey)
                    throw new CorruptFileException(path, $"its next internal key ({store.NextKey}) is not above its largest key ({maxKey}): new points would overwrite existing ones.", null);
                store.TextField = store.ReadTextField(connection);
            }
            finally
            {
                if (writer is null) store.Return(connection);
            }
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
        // own log holds every acknowledged write until a checkpoint fsyncs this file (see Checkpoint).
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;");
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

    /// <summary>
    /// The internal keys of those ids that exist (one query per id kind, the ids passed as a JSON array). Each row found
    /// must be one that was asked for and pass the key and id half of its checksum.
    /// </summary>
    public Dictionary<PointId, ulong> KeysOf(IEnumerable<PointId> ids)
    {
        var numbers = new List<long>();
        var uuids = new List<string>();
        foreach (var id in ids)
        {
            if (id.IsUuid) uuids.Add(id.SqlUuid!);
            else numbers.Add(id.SqlNumber!.Value);
        }
        var keys = new Dictionary<PointId, ulong>(numbers.Count + uuids.Count);
        Read(connection =>
        {
            if (numbers.Count > 0)
            {
                var asked = numbers.ToHashSet();
                using var command = Command(connection, $"SELECT key, num_id, uuid, {ChecksumColumn} FROM points WHERE num_id IN (SELECT value FROM json_each($ids))");
                command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(numbers));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var (key, id) = ReadKeyAndId(reader, withChecksum: 3);
                    if (!asked.Contains(id.SqlNumber ?? 0) || id.IsUuid) throw RowDamaged(key, $"the index on point ids led to it for another id than its own ({id}).");
                    keys[id] = key;
                }
            }
            if (uuids.Count > 0)
            {
                var asked = uuids.ToHashSet(StringComparer.Ordinal);
                using var command = Command(connection, $"SELECT key, num_id, uuid, {ChecksumColumn} FROM points WHERE uuid IN (SELECT value FROM json_each($ids))");
                command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(uuids));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var (key, id) = ReadKeyAndId(reader, withChecksum: 3);
                    if (!id.IsUuid || !asked.Contains(id.SqlUuid!)) throw RowDamaged(key, $"the index on point ids led to it for another id than its own ({id}).");
                    keys[id] = key;
                }
            }
        });
        return keys;
    }

    /// <summary>Keys <see cref="Get"/> looks up with one statement (one JSON-array parameter read by <c>json_each</c>).</summary>
    internal const int GetBatch = 1024;

    /// <summary>Statements <see cref="Get"/> has run on this store (one per batch of <see cref="GetBatch"/> keys).</summary>
    internal long GetStatements => Interlocked.Read(ref _getStatements);

    private long _getStatements;

    /// <summary>
    /// Ids and payloads of these keys, each row checked against its checksum (the payload half only when the payload
    /// is read). Every key must have its row: callers pass keys of live points (from the vector index, the lexical
    /// index or an id lookup, at the same state), so a missing row is damage, reported rather than dropped from an
    /// answer. One statement per <see cref="GetBatch"/> keys.
    /// </summary>
    public Dictionary<ulong, (PointId Id, string Payload)> Get(IEnumerable<ulong> keys, bool withPayload = true)
    {
        var found = new Dictionary<ulong, (PointId, string)>();
        Read(connection =>
        {
            using var command = Command(connection, withPayload
                ? $"SELECT points.key, num_id, uuid, {ChecksumColumn}, payload FROM json_each($keys) AS wanted CROSS JOIN points ON points.key = wanted.value"
                : $"SELECT points.key, num_id, uuid, {ChecksumColumn} FROM json_each($keys) AS wanted CROSS JOIN points ON points.key = wanted.value");
            var parameter = command.Parameters.Add("$keys", SqliteType.Text);
            foreach (var batch in keys.Chunk(GetBatch))
            {
                parameter.Value = JsonSerializer.Serialize(batch.Select(key => (long)key));
                Interlocked.Increment(ref _getStatements);
                using (var reader = command.ExecuteReader())
                    while (reader.Read())
                    {
                        var (key, id) = ReadKeyAndId(reader, withChecksum: 3);
                        found[key] = (id, withPayload ? ReadPayload(reader, 4, key, checksum: 3) : "");
                    }
                foreach (ulong key in batch)
                    if (!found.ContainsKey(key))
                        throw new CorruptFileException(_path, $"it has no row for internal key {key}, which the collection holds live: the point's id and payload are lost or hidden by damage.", null);
            }
        });
        return found;
    }

    /// <summary>Keys of the points a filter selects (null: all), or, with <paramref name="rejected"/>, of those it does not select.</summary>
    public List<ulong> Keys(FilterSqlClause? filter, bool rejected = false)
    {
        var keys = new List<ulong>();
        Read(connection =>
        {
            string where = filter is null ? "" : rejected ? $" WHERE NOT ({filter.WhereClause})" : " WHERE " + filter.WhereClause;
            using var command = Command(connection, "SELECT key FROM points" + where);
            filter?.AddParametersTo(command);
            using var reader = command.ExecuteReader();
            while (reader.Read()) keys.Add((ulong)reader.GetInt64(0));
        });
        return keys;
    }

    /// <summary>
    /// Points a filter selects, counted only up to <paramref name="cap"/>: SQLite stops reading at the cap, so with an
    /// index the cost follows the cap, not the count.
    /// </summary>
    public long CountUpTo(FilterSqlClause filter, long cap)
    {
        long count = 0;
        Read(connection =>
        {
            using var command = Command(connection, $"SELECT count(*) FROM (SELECT 1 FROM points WHERE {filter.WhereClause} LIMIT $cap)");
            filter.AddParametersTo(command);
            command.Parameters.AddWithValue("$cap", cap);
            count = (long)command.ExecuteScalar()!;
        });
        return count;
    }

    /// <summary>
    /// The fraction of a sample of points that a filter rejects: the points at up to <paramref name="size"/> keys
    /// spread evenly over the key range (0 when the sample holds none).
    /// </summary>
    public double SampleRejected(FilterSqlClause filter, int size)
    {
        double fraction = 0;
        Read(connection =>
        {
            using var last = Command(connection, "SELECT coalesce(max(key), 0) FROM points");
            long maxKey = (long)last.ExecuteScalar()!;
            var sample = new List<long>(size);
            for (int i = 0; i < size; i++) sample.Add(1 + (long)((double)(maxKey - 1) * i / Math.Max(1, size - 1)));
            using var command = Command(connection,
                $"SELECT count(*), coalesce(sum(NOT ({filter.WhereClause})), 0) FROM points WHERE key IN (SELECT value FROM json_each($sample))");
            filter.AddParametersTo(command);
            command.Parameters.AddWithValue("$sample", JsonSerializer.Serialize(sample.Distinct()));
            using var reader = command.ExecuteReader();
            reader.Read();
            long seen = reader.GetInt64(0);
            fraction = seen == 0 ? 0 : (double)reader.GetInt64(1) / seen;
        });
        return fraction;
    }

    /// <summary>The payload indexes that serve filters: key → schema (the lexical <c>text</c> index left out).</summary>
    public Dictionary<string, PayloadSchemaType> FilterIndexes()
    {
        var indexes = new Dictionary<string, PayloadSchemaType>(StringComparer.Ordinal);
        foreach (var (field, schema) in PayloadIndexes())
            if (PayloadIndex.TryParseSchemaType(schema, out var type)) indexes[field] = type;
        return indexes;
    }

    /// <summary>Points a filter selects (null: all), counted.</summary>
    public long Count(FilterSqlClause? filter)
    {
        long count = 0;
        Read(connection =>
        {
            using var command = Command(connection, "SELECT count(*) FROM points" + (filter is null ? "" : " WHERE " + filter.WhereClause));
            filter?.AddParametersTo(command);
            count = (long)command.ExecuteScalar()!;
        });
        return count;
    }

    /// <summary>
    /// Points in id order (integers ascending, then UUIDs), starting at <paramref name="from"/> (inclusive), at most
    /// <paramref name="limit"/>, among those a filter selects.
    /// </summary>
    public List<StoredPoint> Scroll(PointId? from, int limit, FilterSqlClause? filter)
    {
        // Integer ids are stored as signed 64-bit: those ≥ 2^63 come out negative and must sort after the others.
        const string order = "(uuid IS NOT NULL), (num_id < 0), num_id, uuid";
        string start = from switch
        {
            null => "1",
            { IsUuid: true } => "(uuid >= $from_uuid)",
            _ => from.Value.Number >= 1UL << 63
                ? "(uuid IS NOT NULL OR (num_id < 0 AND num_id >= $from_num))"
                : "(uuid IS NOT NULL OR num_id < 0 OR num_id >= $from_num)",
        };
        var points = new List<StoredPoint>();
        Read(connection =>
        {
            using var command = Command(connection,
                $"SELECT key, num_id, uuid, {ChecksumColumn}, payload FROM points WHERE {start}{(filter is null ? "" : $" AND ({filter.WhereClause})")} ORDER BY {order} LIMIT $limit");
            filter?.AddParametersTo(command);
            if (from is { IsUuid: true }) command.Parameters.AddWithValue("$from_uuid", from.Value.SqlUuid);
            else if (from is not null) command.Parameters.AddWithValue("$from_num", from.Value.SqlNumber);
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var (key, id) = ReadKeyAndId(reader, withChecksum: 3);
                points.Add(new StoredPoint(key, id, ReadPayload(reader, 4, key, checksum: 3)));
            }
        });
        return points;
    }

    /// <summary>Payloads by key, for writes that change payloads.</summary>
    public Dictionary<ulong, string> Payloads(IEnumerable<ulong> keys) =>
        Get(keys).ToDictionary(p => p.Key, p => p.Value.Payload);

    /// <summary>Applies one upsert record (in one transaction, with its sequence number).</summary>
    public void ApplyUpsert(long sequence, IReadOnlyList<StoredPoint> points) => Write(sequence, (connection, transaction) => Upsert(connection, transaction, points));

    /// <summary>Applies one delete record.</summary>
    public void ApplyDelete(long sequence, IReadOnlyList<ulong> keys) => Write(sequence, (connection, transaction) => Delete(connection, transaction, keys));

    /// <summary>Applies one replace record: its deletes and its upserts in one transaction.</summary>
    public void ApplyReplace(long sequence, IReadOnlyList<ulong> deleted, IReadOnlyList<StoredPoint> points) => Write(sequence, (connection, transaction) =>
    {
        Delete(connection, transaction, deleted);
        Upsert(connection, transaction, points);
    });

    private void Upsert(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<StoredPoint> points)
    {
        // OR REPLACE also removes a row holding the same id under another key (never the case in normal operation,
        // where an id keeps its key while it lives).
        using var insert = Command(connection, "INSERT OR REPLACE INTO points(key, num_id, uuid, payload, checksum) VALUES ($k, $n, $u, $p, $c)", transaction);
        var k = insert.Parameters.Add("$k", SqliteType.Integer);
        var n = insert.Parameters.Add("$n", SqliteType.Integer);
        var u = insert.Parameters.Add("$u", SqliteType.Text);
        var p = insert.Parameters.Add("$p", SqliteType.Text);
        var c = insert.Parameters.Add("$c", SqliteType.Integer);
        ulong next = NextKey;
        foreach (var point in points)
        {
            k.Value = (long)point.Key;
            n.Value = (object?)point.Id.SqlNumber ?? DBNull.Value;
            u.Value = (object?)point.Id.SqlUuid ?? DBNull.Value;
            p.Value = point.Payload;
            c.Value = PointRowChecksum.Of((long)point.Key, point.Id.SqlNumber, point.Id.SqlUuid, point.Payload);
            insert.ExecuteNonQuery();
            next = Math.Max(next, point.Key + 1);
        }
        UpdateLexical(connection, transaction, points.Select(point => (point.Key, (string?)point.Payload)));
        SetMeta(connection, transaction, "next_key", (long)next);
        NextKey = next;
    }

    private void Delete(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<ulong> keys)
    {
        using var delete = Command(connection, "DELETE FROM points WHERE key = $k", transaction);
        var k = delete.Parameters.Add("$k", SqliteType.Integer);
        foreach (ulong key in keys)
        {
            k.Value = (long)key;
            delete.ExecuteNonQuery();
        }
        UpdateLexical(connection, transaction, keys.Select(key => (key, (string?)null)));
    }

    /// <summary>
    /// Applies one payload record. The row's new checksum covers its id as stored, so that id is first checked against
    /// the old checksum: a damaged id is reported, not sealed under a fresh checksum.
    /// </summary>
    public void ApplyPayloads(long sequence, IReadOnlyList<(ulong Key, string Payload)> payloads) => Write(sequence, (connection, transaction) =>
    {
        using var select = Command(connection, $"SELECT key, num_id, uuid, {ChecksumColumn} FROM points WHERE key = $k", transaction);
        var sk = select.Parameters.Add("$k", SqliteType.Integer);
        using var update = Command(connection, "UPDATE points SET payload = $p, checksum = $c WHERE key = $k", transaction);
        var k = update.Parameters.Add("$k", SqliteType.Integer);
        var p = update.Parameters.Add("$p", SqliteType.Text);
        var c = update.Parameters.Add("$c", SqliteType.Integer);
        foreach (var (key, payload) in payloads)
        {
            sk.Value = (long)key;
            PointId id;
            using (var reader = select.ExecuteReader())
            {
                if (!reader.Read()) continue; // deleted since (a replayed record): nothing to change
                id = ReadKeyAndId(reader, withChecksum: 3).Id;
            }
            k.Value = (long)key;
            p.Value = payload;
            c.Value = PointRowChecksum.Of((long)key, id.SqlNumber, id.SqlUuid, payload);
            update.ExecuteNonQuery();
        }
        UpdateLexical(connection, transaction, payloads.Select(x => (x.Key, (string?)x.Payload)));
    });

    /// <summary>Reserves internal keys for new points (they become durable with the record that uses them).</summary>
    public ulong ReserveKeys(int count)
    {
        ulong first = NextKey;
        NextKey += (ulong)count;
        return first;
    }

    /// <summary>Creates (or, when the schema changes, replaces) the payload index of a key.</summary>
    public void CreatePayloadIndex(PayloadPath key, PayloadSchemaType schema, string schemaName)
    {
        var writer = Writer();
        using var transaction = writer.BeginTransaction();
        using (var existing = Command(writer, "SELECT schema FROM payload_indexes WHERE field = $f", transaction))
        {
            existing.Parameters.AddWithValue("$f", key.Text);
            if (existing.ExecuteScalar() is string old && PayloadIndex.TryParseSchemaType(old, out var oldSchema))
                foreach (string sql in PayloadIndex.DropStatements(key, oldSchema, includeTypeIndex: true)) Execute(writer, sql, transaction);
        }
        foreach (string sql in PayloadIndex.CreateStatements(key, schema)) Execute(writer, sql, transaction);
        using (var record = Command(writer, "INSERT OR REPLACE INTO payload_indexes(field, schema) VALUES ($f, $s)", transaction))
        {
            record.Parameters.AddWithValue("$f", key.Text);
            record.Parameters.AddWithValue("$s", schemaName);
            record.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>
    /// Makes <paramref name="key"/> the text field of the lexical index: creates the FTS5 table and fills it from every
    /// point's payload (a collection has one text field; naming another one replaces it).
    /// </summary>
    public void CreateTextIndex(PayloadPath key)
    {
        var writer = Writer();
        using var transaction = writer.BeginTransaction();
        Execute(writer, "DROP TABLE IF EXISTS lexical; DELETE FROM payload_indexes WHERE schema = 'text';", transaction);
        Execute(writer, $"CREATE VIRTUAL TABLE lexical USING fts5(body, tokenize = '{FtsLexer.RecommendedTokenizer}');", transaction);
        using (var record = Command(writer, "INSERT OR REPLACE INTO payload_indexes(field, schema) VALUES ($f, 'text')", transaction))
        {
            record.Parameters.AddWithValue("$f", key.Text);
            record.ExecuteNonQuery();
        }
        TextField = key;
        var rows = new List<(ulong, string?)>();
        using (var all = Command(writer, "SELECT key, payload FROM points", transaction))
        using (var reader = all.ExecuteReader())
            while (reader.Read()) rows.Add(((ulong)reader.GetInt64(0), reader.GetString(1)));
        UpdateLexical(writer, transaction, rows);
        transaction.Commit();
    }

    /// <summary>
    /// BM25 over the lexical index: the best <paramref name="limit"/> points for a query (English words stemmed, CJK
    /// text as character bigrams; see <see cref="FtsLexer"/>), among those a filter selects. Scores are −bm25 (higher
    /// is better).
    /// </summary>
    public List<(ulong Key, float Score)> SearchText(string query, int limit, FilterSqlClause? filter)
    {
        if (TextField is null) throw new InvalidOperationException("The collection has no text index: create a payload index of schema \"text\" on the field that holds the text.");
        string match = FtsLexer.ToMatchQuery(query);
        var hits = new List<(ulong, float)>();
        if (match.Length == 0) return hits;
        Read(connection =>
        {
            using var command = Command(connection,
                "SELECT lexical.rowid, bm25(lexical) FROM lexical" + (filter is null ? "" : " JOIN points ON points.key = lexical.rowid") +
                " WHERE lexical MATCH $match" + (filter is null ? "" : $" AND ({filter.WhereClause})") + " ORDER BY bm25(lexical) LIMIT $limit");
            command.Parameters.AddWithValue("$match", match);
            command.Parameters.AddWithValue("$limit", limit);
            filter?.AddParametersTo(command);
            using var reader = command.ExecuteReader();
            while (reader.Read()) hits.Add(((ulong)reader.GetInt64(0), (float)-reader.GetDouble(1)));
        });
        return hits;
    }

    /// <summary>Keeps the lexical index in step with payloads (in the write's transaction); a null payload removes the row.</summary>
    private void UpdateLexical(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<(ulong Key, string? Payload)> rows)
    {
        if (TextField is null) return;
        using var delete = Command(connection, "DELETE FROM lexical WHERE rowid = $k", transaction);
        using var insert = Command(connection, "INSERT INTO lexical(rowid, body) VALUES ($k, $b)", transaction);
        var dk = delete.Parameters.Add("$k", SqliteType.Integer);
        var ik = insert.Parameters.Add("$k", SqliteType.Integer);
        var ib = insert.Parameters.Add("$b", SqliteType.Text);
        foreach (var (key, payload) in rows)
        {
            dk.Value = (long)key;
            delete.ExecuteNonQuery();
            string? text = payload is null ? null : TextOf(payload, TextField);
            if (string.IsNullOrWhiteSpace(text)) continue;
            ik.Value = (long)key;
            ib.Value = FtsLexer.ToIndexText(text);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>The text at a payload key: a string, or the strings of an array joined by line breaks.</summary>
    internal static string? TextOf(string payload, PayloadPath field)
    {
        using var document = JsonDocument.Parse(payload);
        var element = document.RootElement;
        foreach (var segment in field.Segments)
        {
            if (segment.Kind == PathSegmentKind.Key && element.ValueKind == JsonValueKind.Object && element.TryGetProperty(segment.Key!, out var child)) element = child;
            else if (segment.Kind == PathSegmentKind.Index && element.ValueKind == JsonValueKind.Array && segment.Index < element.GetArrayLength()) element = element[segment.Index];
            else return null;
        }
        if (element.ValueKind == JsonValueKind.String) return element.GetString();
        if (element.ValueKind != JsonValueKind.Array) return null;
        var text = new StringBuilder();
        foreach (var item in element.EnumerateArray())
            if (item.ValueKind == JsonValueKind.String) text.Append(item.GetString()).Append('\n');
        return text.ToString();
    }

    private PayloadPath? ReadTextField(SqliteConnection connection)
    {
        using var command = Command(connection, "SELECT field FROM payload_indexes WHERE schema = 'text'");
        return command.ExecuteScalar() is string field ? PayloadPath.Parse(field) : null;
    }

    /// <summary>Drops the payload index of a key; false when there is none.</summary>
    public bool DeletePayloadIndex(PayloadPath key)
    {
        var writer = Writer();
        using var transaction = writer.BeginTransaction();
        using var existing = Command(writer, "SELECT schema FROM payload_indexes WHERE field = $f", transaction);
        existing.Parameters.AddWithValue("$f", key.Text);
        if (existing.ExecuteScalar() is not string old) return false;
        if (old == "text")
        {
            Execute(writer, "DROP TABLE IF EXISTS lexical;", transaction);
            TextField = null;
        }
        else if (PayloadIndex.TryParseSchemaType(old, out var schema))
            foreach (string sql in PayloadIndex.DropStatements(key, schema, includeTypeIndex: true)) Execute(writer, sql, transaction);
        using var delete = Command(writer, "DELETE FROM payload_indexes WHERE field = $f", transaction);
        delete.Parameters.AddWithValue("$f", key.Text);
        delete.ExecuteNonQuery();
        transaction.Commit();
        return true;
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

    /// <summary>The payload indexes: field → schema.</summary>
    public Dictionary<string, string> PayloadIndexes()
    {
        var indexes = new Dictionary<string, string>(StringComparer.Ordinal);
        Read(connection =>
        {
            using var command = Command(connection, "SELECT field, schema FROM payload_indexes ORDER BY field");
            using var reader = command.ExecuteReader();
            while (reader.Read()) indexes[reader.GetString(0)] = reader.GetString(1);
        });
        return indexes;
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
    /// Reads every row and checks it against its checksum (for <c>bitsieve check</c>): the internal keys of the rows
    /// that fail (at most <paramref name="limit"/>) and how many fail. A format-1 file has no checksums: nothing fails.
    /// </summary>
    public (List<ulong> Keys, long Count) DamagedRows(int limit)
    {
        var damaged = new List<ulong>();
        long count = 0;
        if (!_checksums) return (damaged, count);
        Read(connection =>
        {
            using var command = Command(connection, "SELECT key, num_id, uuid, checksum, payload FROM points");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                long key = reader.GetInt64(0);
                long? number = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                string? uuid = reader.IsDBNull(2) ? null : reader.GetString(2);
                bool sound = !reader.IsDBNull(3) && (number is null) != (uuid is null)
                    && PointRowChecksum.IdHolds(reader.GetInt64(3), key, number, uuid) && PointRowChecksum.PayloadHolds(reader.GetInt64(3), reader.GetString(4));
                if (sound) continue;
                count++;
                if (damaged.Count < limit) damaged.Add((ulong)key);
            }
        });
        return (damaged, count);
    }

    /// <summary>
    /// Checks, at the current state (a reader: inside its snapshot), that the table of points, each index on point ids,
    /// and the vector index hold the same points: the same count and key sums (<see cref="PointSetSums"/>), and, between
    /// the table and the id indexes, the same id sums. A flipped bit in any of those b-trees that hides a point, or
    /// changes an entry's key or id, is reported here, when the collection opens, instead of leaving a point unfindable
    /// or an answer short. Costs one pass of SQLite over the table's leaf pages and over the two id indexes.
    /// </summary>
    public void VerifyKeys(PointSetSums index)
    {
        Read(connection =>
        {
            var rows = Sums(connection, "FROM points NOT INDEXED");
            var ids = Sums(connection, $"FROM points INDEXED BY {NumberIndex} WHERE num_id IS NOT NULL")
                + Sums(connection, $"FROM points INDEXED BY {UuidIndex} WHERE uuid IS NOT NULL");
            if (!rows.SameKeys(index))
                throw new CorruptFileException(_path, rows.Count != index.Count
                    ? $"it holds {rows.Count} points where the vector index holds {index.Count}."
                    : $"it holds {rows.Count} points, as many as the vector index, but under other internal keys.", null);
            if (ids != rows)
                throw new CorruptFileException(_path,
                    $"its index on point ids disagrees with its rows ({ids.Count} ids indexed for {rows.Count} rows{(ids.Count == rows.Count ? ", some under another id or key" : "")}): a point could not be found by its id, or its id would name another point.", null);
        });
    }

    private static PointSetSums Sums(SqliteConnection connection, string from)
    {
        using var command = Command(connection, $"SELECT {PointSetSums.SelectList} {from}");
        using var reader = command.ExecuteReader();
        reader.Read();
        return new PointSetSums(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    /// <summary>
    /// Makes everything applied so far durable (SQLite's own checkpoint, fsynced): the collection's log may then be
    /// reset. When another connection keeps SQLite from finishing it (a reader holding a snapshot longer than the busy
    /// timeout), it fails with an <see cref="IOException"/>, and the log must be kept.
    /// </summary>
    public void Checkpoint()
    {
        // The first column is SQLite's "busy" flag: 1 when the checkpoint could not copy and truncate the whole WAL.
        if (Scalar(Writer(), "PRAGMA wal_checkpoint(TRUNCATE);") != 0)
            throw new PointsDatabaseBusyException($"The points database '{_path}' is busy: another connection holds a read transaction, so SQLite could not checkpoint it. The checkpoint failed and the collection's log is kept; try again once the reader has finished.");
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

    private SqliteConnection Writer() => _writer ?? throw new InvalidOperationException("The collection is open read-only.");

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
    private void Read(Action<SqliteConnection> read)
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
        Execute(connection, "PRAGMA busy_timeout=10000;");
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

    private static void SetMeta(SqliteConnection connection, SqliteTransaction transaction, string name, long value)
    {
        using var command = Command(connection, "UPDATE meta SET value = $v WHERE name = $n", transaction);
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    /// <summary>The checksum column as reads select it: <c>NULL</c> in a format-1 file, which has none.</summary>
    private string ChecksumColumn => _checksums ? "checksum" : "NULL";

    /// <summary>
    /// Columns 0..2 of a row (key, num_id, uuid), checked against the key and id half of its checksum (column
    /// <paramref name="withChecksum"/>) before the id is parsed.
    /// </summary>
    private (ulong Key, PointId Id) ReadKeyAndId(SqliteDataReader reader, int withChecksum)
    {
        long key = reader.GetInt64(0);
        long? number = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        string? uuid = reader.IsDBNull(2) ? null : reader.GetString(2);
        if (_checksums)
        {
            if (reader.IsDBNull(withChecksum)) throw RowDamaged((ulong)key, "it has no checksum.");
            if ((number is null) == (uuid is null) || !PointRowChecksum.IdHolds(reader.GetInt64(withChecksum), key, number, uuid))
                throw RowDamaged((ulong)key, "its key or id does not match its checksum.");
        }
        try
        {
            return ((ulong)key, PointId.FromSql(number, uuid));
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw RowDamaged((ulong)key, $"its id cannot be read ({e.Message}).");
        }
    }

    /// <summary>A row's payload (column <paramref name="column"/>), checked against the payload half of its checksum.</summary>
    private string ReadPayload(SqliteDataReader reader, int column, ulong key, int checksum)
    {
        string payload = reader.GetString(column);
        if (_checksums && !PointRowChecksum.PayloadHolds(reader.GetInt64(checksum), payload))
            throw RowDamaged(key, "its payload does not match its checksum.");
        return payload;
    }

    private CorruptFileException RowDamaged(ulong key, string problem) =>
        new(_path, $"the row of internal key {key} is damaged: {problem} Nothing is returned from it; run `bitsieve check` to list every damaged row.", null);

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(connection, sql, transaction);
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

/// <summary>SQLite could not checkpoint the points database because another connection holds a read transaction: nothing changed.</summary>
internal sealed class PointsDatabaseBusyException(string message) : IOException(message);
