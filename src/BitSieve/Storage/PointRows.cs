using System.Text.Json;
using BitSieve.Filters;
using Microsoft.Data.Sqlite;
using static BitSieve.Storage.PointStore;

namespace BitSieve.Storage;

/// <summary>
/// The rows of the points database (table <c>points</c>): point ids (integers and UUIDs) mapped to the stable internal
/// keys the vector index stores, and their JSON payloads. Every row carries a checksum of its key, id and payload
/// (<see cref="PointRowChecksum"/>), written with it and verified by every read that returns rows (<see cref="Get"/>,
/// <see cref="Scroll"/>, <see cref="KeysOf"/>); <see cref="VerifyKeys"/> checks, when a collection opens, that the
/// table, the indexes on point ids and the vector index hold the same points. SQLite keeps no checksums of its own
/// pages: without these, a flipped bit could hide a point or change a payload silently. Reads and writes go through
/// the <see cref="PointStore"/> that owns the connections.
/// </summary>
internal sealed class PointRows(PointStore database, bool checksums)
{
    private readonly PointStore _database = database;

    /// <summary>Whether rows carry checksums (false only for a reader of a format-1 file).</summary>
    private readonly bool _checksums = checksums;

    /// <summary>The next internal key to assign.</summary>
    public ulong NextKey { get; internal set; } = 1;

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
        _database.Read(connection =>
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
        _database.Read(connection =>
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
                        throw new CorruptFileException(_database.Path, $"it has no row for internal key {key}, which the collection holds live: the point's id and payload are lost or hidden by damage.", null);
            }
        });
        return found;
    }

    /// <summary>Keys of the points a filter selects (null: all), or, with <paramref name="rejected"/>, of those it does not select.</summary>
    public List<ulong> Keys(FilterSqlClause? filter, bool rejected = false)
    {
        var keys = new List<ulong>();
        _database.Read(connection =>
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
        _database.Read(connection =>
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
        _database.Read(connection =>
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

    /// <summary>Points a filter selects (null: all), counted.</summary>
    public long Count(FilterSqlClause? filter)
    {
        long count = 0;
        _database.Read(connection =>
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
        _database.Read(connection =>
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

    /// <summary>Writes the rows of upserted points (in the write's transaction) and advances the next key past them.</summary>
    internal void Upsert(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<StoredPoint> points)
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
        SetMeta(connection, transaction, "next_key", (long)next);
        NextKey = next;
    }

    /// <summary>Removes the rows of deleted points (in the write's transaction).</summary>
    internal void Delete(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<ulong> keys)
    {
        using var delete = Command(connection, "DELETE FROM points WHERE key = $k", transaction);
        var k = delete.Parameters.Add("$k", SqliteType.Integer);
        foreach (ulong key in keys)
        {
            k.Value = (long)key;
            delete.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Replaces the payloads of rows (in the write's transaction). The row's new checksum covers its id as stored, so
    /// that id is first checked against the old checksum: a damaged id is reported, not sealed under a fresh checksum.
    /// </summary>
    internal void UpdatePayloads(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<(ulong Key, string Payload)> payloads)
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
    }

    /// <summary>Reserves internal keys for new points (they become durable with the record that uses them).</summary>
    public ulong ReserveKeys(int count)
    {
        ulong first = NextKey;
        NextKey += (ulong)count;
        return first;
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
        _database.Read(connection =>
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
        _database.Read(connection =>
        {
            var rows = Sums(connection, "FROM points NOT INDEXED");
            var ids = Sums(connection, $"FROM points INDEXED BY {NumberIndex} WHERE num_id IS NOT NULL")
                + Sums(connection, $"FROM points INDEXED BY {UuidIndex} WHERE uuid IS NOT NULL");
            if (!rows.SameKeys(index))
                throw new CorruptFileException(_database.Path, rows.Count != index.Count
                    ? $"it holds {rows.Count} points where the vector index holds {index.Count}."
                    : $"it holds {rows.Count} points, as many as the vector index, but under other internal keys.", null);
            if (ids != rows)
                throw new CorruptFileException(_database.Path,
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
        new(_database.Path, $"the row of internal key {key} is damaged: {problem} Nothing is returned from it; run `bitsieve check` to list every damaged row.", null);
}
