using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Filters;

namespace BitSieve;

public sealed partial class Collection
{
    /// <summary>At most this many points per write (a larger batch is refused: split it).</summary>
    public const int MaxBatch = 100_000;

    /// <summary>A payload is at most this many bytes of JSON.</summary>
    public const int MaxPayloadBytes = 1 << 20;

    /// <summary>
    /// Inserts or replaces points (a replaced point's payload is replaced too). Every point is checked before anything
    /// is written; when this returns, the write is durable. Within one batch, the last point with an id wins.
    /// </summary>
    /// <exception cref="ArgumentException">A vector has the wrong dimension, a non-finite component, or (cosine) is zero; a payload is too large.</exception>
    public void Upsert(IReadOnlyList<Point> points)
    {
        var (last, payloads) = PrepareUpsert(points);
        if (last.Count == 0) return;
        lock (_writeGate)
        {
            CheckWritable();
            var (stored, vectors) = AssignKeys(points, last, payloads);
            Log(new LoggedWrite(LogRecords.Upsert, Points: stored, Vectors: vectors), LogRecords.EncodeUpsert(stored, vectors, Dimension));
        }
    }

    /// <summary>
    /// Replaces the points <paramref name="replaced"/> selects with <paramref name="points"/>, as ONE logged write: the
    /// selected points whose ids are not among the new ones are deleted and the new ones upserted, so that a crash
    /// leaves either the old set or the new one, never neither (a document's old chunks and its new ones). Every point
    /// is checked before anything is written; when this returns, the write is durable. Returns how many selected points
    /// were deleted (not counting those replaced in place).
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Upsert"/>; also when <paramref name="points"/> is empty (use <see cref="Delete(Filter)"/>).</exception>
    public int Replace(Filter replaced, IReadOnlyList<Point> points)
    {
        ArgumentNullException.ThrowIfNull(replaced);
        var (last, payloads) = PrepareUpsert(points);
        if (last.Count == 0) throw new ArgumentException("A replacement needs at least one point; to remove points only, delete them.", nameof(points));
        var where = FilterSql.Translate(replaced);
        lock (_writeGate)
        {
            CheckWritable();
            var kept = _store.Rows.KeysOf(last.Keys).Values.ToHashSet();
            var deleted = _store.Rows.Keys(where).Where(key => !kept.Contains(key)).ToArray();
            var (stored, vectors) = AssignKeys(points, last, payloads);
            Log(new LoggedWrite(LogRecords.Replace, Points: stored, Vectors: vectors, Keys: deleted), LogRecords.EncodeReplace(deleted, stored, vectors, Dimension));
            return deleted.Length;
        }
    }

    /// <summary>Checks a batch before anything is written: the last index of every id, and the serialized payloads of those.</summary>
    private (Dictionary<PointId, int> Last, string[] Payloads) PrepareUpsert(IReadOnlyList<Point> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count > MaxBatch) throw new ArgumentException($"A write holds at most {MaxBatch} points; got {points.Count}. Split it into batches.", nameof(points));
        // Last one wins for repeated ids.
        var last = new Dictionary<PointId, int>(points.Count);
        for (int i = 0; i < points.Count; i++)
        {
            var point = points[i] ?? throw new ArgumentException($"Point {i} is null.", nameof(points));
            _index.Validate(point.Vector.Span, $"vector of point {point.Id}");
            last[point.Id] = i;
        }
        var payloads = new string[points.Count];
        foreach (int i in last.Values) payloads[i] = SerializePayload(points[i].Payload, points[i].Id);
        return (last, payloads);
    }

    /// <summary>The stored form of a checked batch: existing ids keep their keys, new ones get fresh keys. Called with the write gate held.</summary>
    private (StoredPoint[] Points, float[] Vectors) AssignKeys(IReadOnlyList<Point> points, Dictionary<PointId, int> last, string[] payloads)
    {
        var existing = _store.Rows.KeysOf(last.Keys);
        var stored = new List<StoredPoint>(last.Count);
        var vectors = new float[last.Count * Dimension];
        foreach (var (id, i) in last.OrderBy(p => p.Value))
        {
            ulong key = existing.TryGetValue(id, out ulong k) ? k : _store.Rows.ReserveKeys(1);
            points[i].Vector.Span.CopyTo(vectors.AsSpan(stored.Count * Dimension, Dimension));
            stored.Add(new StoredPoint(key, id, payloads[i]));
        }
        return ([.. stored], vectors);
    }

    /// <summary>Deletes points by id; ids that do not exist are ignored. Returns how many were deleted.</summary>
    public int Delete(IEnumerable<PointId> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var distinct = ids.ToHashSet();
        lock (_writeGate)
        {
            CheckWritable();
            var keys = _store.Rows.KeysOf(distinct).Values.ToList();
            if (keys.Count > 0) Log(new LoggedWrite(LogRecords.Delete, Keys: [.. keys]), LogRecords.EncodeDelete(keys));
            return keys.Count;
        }
    }

    /// <summary>Deletes the points a filter selects. Returns how many were deleted.</summary>
    public int Delete(Filter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var where = FilterSql.Translate(filter);
        lock (_writeGate)
        {
            CheckWritable();
            var keys = _store.Rows.Keys(where);
            if (keys.Count > 0) Log(new LoggedWrite(LogRecords.Delete, Keys: [.. keys]), LogRecords.EncodeDelete(keys));
            return keys.Count;
        }
    }

    /// <summary>Sets payload keys of existing points, keeping their other keys (Qdrant's set_payload). Returns how many points changed.</summary>
    public int SetPayload(PointSelector points, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return ChangePayloads(points, current =>
        {
            foreach (var (key, value) in payload) current[key] = value?.DeepClone();
            return current;
        });
    }

    /// <summary>Replaces the whole payload of existing points (Qdrant's overwrite_payload).</summary>
    public int OverwritePayload(PointSelector points, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return ChangePayloads(points, _ => (JsonObject)payload.DeepClone());
    }

    /// <summary>Removes payload keys from existing points (Qdrant's delete_payload).</summary>
    public int DeletePayloadKeys(PointSelector points, IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var names = keys.ToList();
        return ChangePayloads(points, current =>
        {
            foreach (string name in names) current.Remove(name);
            return current;
        });
    }

    /// <summary>Empties the payload of existing points (Qdrant's clear_payload).</summary>
    public int ClearPayload(PointSelector points) => ChangePayloads(points, _ => []);

    /// <summary>
    /// Indexes a payload key for filtering (Qdrant's field schemas: keyword, integer, float, bool, datetime), or, with
    /// schema <c>text</c>, makes it the field the lexical index (BM25, <see cref="SearchText"/>) holds (one per
    /// collection). Replaces an index of another schema on the same key. Idempotent: an index the key already has
    /// with this schema is kept as it is (a text index is not rebuilt).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown schema, or a key that cannot be indexed (an array projection).</exception>
    public void CreatePayloadIndex(string key, string schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var path = PayloadPath.Parse(key);
        bool text = schema.Equals("text", StringComparison.OrdinalIgnoreCase);
        var type = default(PayloadSchemaType);
        if (!text && !PayloadIndex.TryParseSchemaType(schema, out type))
            throw new ArgumentException($"Unknown payload index schema \"{schema}\"; use keyword, integer, float, bool, datetime or text.", nameof(schema));
        if (path.HasWildcard) throw new ArgumentException($"The key \"{key}\" projects an array ([]); such keys cannot be indexed.", nameof(key));
        lock (_writeGate)
        {
            CheckWritable();
            string wanted = text ? "text" : schema.ToLowerInvariant();
            if (_store.PayloadIndexes.All().TryGetValue(path.Text, out string? current) && current == wanted) return;
            // Readers wait while the lexical index is rebuilt, so a text search never sees it half filled.
            _state.EnterWriteLock();
            try
            {
                if (text) _store.Lexical.Create(path);
                else
                {
                    if (path.Equals(_store.Lexical.TextField)) _store.PayloadIndexes.Delete(path);
                    _store.PayloadIndexes.Create(path, type, wanted);
                }
            }
            finally
            {
                _state.ExitWriteLock();
            }
            _store.Checkpoint();
        }
    }

    /// <summary>
    /// Sets a named property of the collection (small text, such as the embedding model its vectors come from), made
    /// durable at once. Properties are not part of points and are not logged.
    /// </summary>
    public void SetProperty(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        lock (_writeGate)
        {
            CheckWritable();
            _store.SetProperty(name, value);
            _store.Checkpoint();
        }
    }

    /// <summary>Drops the payload index of a key; false when there was none.</summary>
    public bool DeletePayloadIndex(string key)
    {
        var path = PayloadPath.Parse(key);
        lock (_writeGate)
        {
            CheckWritable();
            _state.EnterWriteLock();
            bool dropped;
            try
            {
                dropped = _store.PayloadIndexes.Delete(path);
            }
            finally
            {
                _state.ExitWriteLock();
            }
            _store.Checkpoint();
            return dropped;
        }
    }

    /// <summary>Writes a checkpoint now (see <c>Collection.Recovery.cs</c>): the log is emptied and the next open reads no log.</summary>
    public void Checkpoint() => WithoutCompaction(cancel: false, () =>
    {
        CheckWritable();
        CheckpointLocked(compact: false);
    });

    /// <summary>
    /// Rewrites the vector index without tombstones and with a re-trained centroid, atomically (new files, fsync,
    /// manifest swap), and empties the log. Searches continue meanwhile and switch to the compacted index at once;
    /// writes wait. A background compaction that is running (<see cref="DatabaseOptions.Compaction"/>) finishes first.
    /// </summary>
    public void Compact() => WithoutCompaction(cancel: false, () =>
    {
        CheckWritable();
        CheckpointLocked(compact: true);
    });

    private int ChangePayloads(PointSelector points, Func<JsonObject, JsonObject> change)
    {
        ArgumentNullException.ThrowIfNull(points);
        var where = points.Filter is null ? null : FilterSql.Translate(points.Filter);
        lock (_writeGate)
        {
            CheckWritable();
            var keys = where is null ? _store.Rows.KeysOf(points.Ids!.ToHashSet()).Values.ToList() : _store.Rows.Keys(where);
            var current = _store.Rows.Get(keys);
            var changed = new List<(ulong, string)>(keys.Count);
            foreach (var (key, (id, payload)) in current) changed.Add((key, SerializePayload(change(ParsePayload(payload)), id)));
            if (changed.Count > 0) Log(new LoggedWrite(LogRecords.Payloads, Payloads: [.. changed]), LogRecords.EncodePayloads(changed));
            return changed.Count;
        }
    }

    /// <summary>Appends a record to the log (durable when this returns), applies it, and checkpoints when the log has grown enough.</summary>
    private void Log(LoggedWrite write, byte[] record)
    {
        // An upsert's vectors are encoded while its record is made durable: the fsync leaves the cores idle.
        var index = _index;
        var encoding = write.Points is not null ? Task.Run(() => index.Encode(write.Points!.Select(p => p.Key).ToArray(), write.Vectors)) : null;
        long sequence;
        try
        {
            sequence = _log!.Append(write.Type, record);
        }
        catch
        {
            encoding?.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: the append's failure is the one to report
            throw;
        }
        Apply(sequence, write, replay: false, encoding);
        // A background compaction saves the next generation itself; until it is swapped in, the log only grows.
        FinishCompaction();
        if (_compaction is not null) return;
        if (_log.Length > Math.Max(DatabaseOptions.CheckpointFloorBytes, _snapshotBytes)) CheckpointLocked(compact: false);
        CompactInBackgroundIfDue();
    }

    private void CheckWritable()
    {
        CheckOpen();
        if (_log is null) throw new InvalidOperationException($"Collection '{Name}' is open read-only.");
    }

    private static string SerializePayload(JsonObject? payload, PointId id)
    {
        string json = payload?.ToJsonString(JsonOptions) ?? "{}";
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxPayloadBytes)
            throw new ArgumentException($"The payload of point {id} is larger than {MaxPayloadBytes} bytes of JSON.", nameof(payload));
        return json;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
