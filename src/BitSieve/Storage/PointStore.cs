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
/// </summary>
internal sealed class PointStore : IDisposable
{
    public const string FileName = "points.db";

    /// <summary>SQLite's <c>application_id</c> of a BitSieve points database ("BSVP").</summary>
    private const int ApplicationId = 0x42535650;
    private const int FormatVersion = 1;

    private readonly string _path;
    private readonly SqliteConnection? _writer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private readonly string _readConnectionString;

    /// <summary>The connection of the read snapshot this flow of control is in (<see cref="BeginSnapshot"/>), if any.</summary>
    private readonly AsyncLocal<SqliteConnection?> _snapshot = new();

    private PointStore(string path, SqliteConnection? writer, string readConnectionString)
    {
        _path = path;
        _writer = writer;
        _readConnectionString = readConnectionString;
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
                Initialize(writer, path);
            }
            var store = new PointStore(path, writer, read);
            var connection = writer ?? store.Rent();
            try
            {
                CheckFormat(connection, path);
                store.AppliedSequence = store.ReadMeta(connection, "applied_sequence");
                store.NextKey = (ulong)Math.Max(1, store.ReadMeta(connection, "next_key"));
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
                  CHECK ((num_id IS NULL) <> (uuid IS NULL)));
                CREATE TABLE payload_indexes(field TEXT PRIMARY KEY, schema TEXT NOT NULL);
                CREATE TABLE properties(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                INSERT INTO meta VALUES ('applied_sequence', 0), ('next_key', 1);
                """);
        }
        CheckFormat(connection, path);
    }

    private static void CheckFormat(SqliteConnection connection, string path)
    {
        long application = Scalar(connection, "PRAGMA application_id");
        if (application != ApplicationId)
            throw new CorruptFileException(path, "it is an SQLite database, but not a BitSieve points database (wrong application_id).", null);
        long version = Scalar(connection, "PRAGMA user_version");
        if (version != FormatVersion)
            throw new CorruptFileException(path, $"points database format version {version} is not supported (this build reads version {FormatVersion}).", null);
        // A damaged schema (its text lives in the first page) shows here, when the tables are compiled, not at the first query.
        Execute(connection, """
            SELECT key, num_id, uuid, payload FROM points LIMIT 0;
            SELECT name, value FROM meta LIMIT 0;
            SELECT field, schema FROM payload_indexes LIMIT 0;
            SELECT name, value FROM properties LIMIT 0;
            """);
    }

    /// <summary>The internal keys of those ids that exist (one query per id kind, the ids passed as a JSON array).</summary>
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
                using var command = Command(connection, "SELECT key, num_id FROM points WHERE num_id IN (SELECT value FROM json_each($ids))");
                command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(numbers));
                using var reader = command.ExecuteReader();
                while (reader.Read()) keys[PointId.FromSql(reader.GetInt64(1), null)] = (ulong)reader.GetInt64(0);
            }
            if (uuids.Count > 0)
            {
                using var command = Command(connection, "SELECT key, uuid FROM points WHERE uuid IN (SELECT value FROM json_each($ids))");
                command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(uuids));
                using var reader = command.ExecuteReader();
                while (reader.Read()) keys[PointId.FromSql(null, reader.GetString(1))] = (ulong)reader.GetInt64(0);
            }
        });
        return keys;
    }

    /// <summary>Keys <see cref="Get"/> looks up with one statement (one JSON-array parameter read by <c>json_each</c>).</summary>
    internal const int GetBatch = 1024;

    /// <summary>Statements <see cref="Get"/> has run on this store (one per batch of <see cref="GetBatch"/> keys).</summary>
    internal long GetStatements => Interlocked.Read(ref _getStatements);

    private long _getStatements;

    /// <summary>Ids and payloads of these keys; keys with no point are left out. One statement per <see cref="GetBatch"/> keys.</summary>
    public Dictionary<ulong, (PointId Id, string Payload)> Get(IEnumerable<ulong> keys, bool withPayload = true)
    {
        var found = new Dictionary<ulong, (PointId, string)>();
        Read(connection =>
        {
            using var command = Command(connection, withPayload
                ? "SELECT points.key, num_id, uuid, payload FROM json_each($keys) AS wanted CROSS JOIN points ON points.key = wanted.value"
                : "SELECT points.key, num_id, uuid, '' FROM json_each($keys) AS wanted CROSS JOIN points ON points.key = wanted.value");
            var parameter = command.Parameters.Add("$keys", SqliteType.Text);
            foreach (var batch in keys.Chunk(GetBatch))
            {
                parameter.Value = JsonSerializer.Serialize(batch.Select(key => (long)key));
                Interlocked.Increment(ref _getStatements);
                using var reader = command.ExecuteReader();
                while (reader.Read()) found[(ulong)reader.GetInt64(0)] = (ReadId(reader, 1), reader.GetString(3));
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
                $"SELECT key, num_id, uuid, payload FROM points WHERE {start}{(filter is null ? "" : $" AND ({filter.WhereClause})")} ORDER BY {order} LIMIT $limit");
            filter?.AddParametersTo(command);
            if (from is { IsUuid: true }) command.Parameters.AddWithValue("$from_uuid", from.Value.SqlUuid);
            else if (from is not null) command.Parameters.AddWithValue("$from_num", from.Value.SqlNumber);
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            while (reader.Read()) points.Add(new StoredPoint((ulong)reader.GetInt64(0), ReadId(reader, 1), reader.GetString(3)));
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
        using var insert = Command(connection, "INSERT OR REPLACE INTO points(key, num_id, uuid, payload) VALUES ($k, $n, $u, $p)", transaction);
        var k = insert.Parameters.Add("$k", SqliteType.Integer);
        var n = insert.Parameters.Add("$n", SqliteType.Integer);
        var u = insert.Parameters.Add("$u", SqliteType.Text);
        var p = insert.Parameters.Add("$p", SqliteType.Text);
        ulong next = NextKey;
        foreach (var point in points)
        {
            k.Value = (long)point.Key;
            n.Value = (object?)point.Id.SqlNumber ?? DBNull.Value;
            u.Value = (object?)point.Id.SqlUuid ?? DBNull.Value;
            p.Value = point.Payload;
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

    /// <summary>Applies one payload record.</summary>
    public void ApplyPayloads(long sequence, IReadOnlyList<(ulong Key, string Payload)> payloads) => Write(sequence, (connection, transaction) =>
    {
        using var update = Command(connection, "UPDATE points SET payload = $p WHERE key = $k", transaction);
        var k = update.Parameters.Add("$k", SqliteType.Integer);
        var p = update.Parameters.Add("$p", SqliteType.Text);
        foreach (var (key, payload) in payloads)
        {
            k.Value = (long)key;
            p.Value = payload;
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
        var rows = new List<string>();
        Read(connection =>
        {
            using var command = Command(connection, "PRAGMA integrity_check");
            using var reader = command.ExecuteReader();
            while (reader.Read()) rows.Add(reader.GetString(0));
        });
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

    private void Read(Action<SqliteConnection> read)
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

    private SqliteConnection Rent()
    {
        if (_readers.TryTake(out var connection)) return connection;
        connection = new SqliteConnection(_readConnectionString);
        connection.Open();
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

    private static void SetMeta(SqliteConnection connection, SqliteTransaction transaction, string name, long value)
    {
        using var command = Command(connection, "UPDATE meta SET value = $v WHERE name = $n", transaction);
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    private static PointId ReadId(SqliteDataReader reader, int column) =>
        PointId.FromSql(reader.IsDBNull(column) ? null : reader.GetInt64(column), reader.IsDBNull(column + 1) ? null : reader.GetString(column + 1));

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
