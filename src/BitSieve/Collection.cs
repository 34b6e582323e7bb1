using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Search;
using BitSieve.Storage;

namespace BitSieve;

/// <summary>A point to write: its id, its vector and its payload (a JSON object; null for none).</summary>
public sealed record Point(PointId Id, ReadOnlyMemory<float> Vector, JsonObject? Payload = null);

/// <summary>Which points a write addresses: listed ids, or those a filter selects.</summary>
public sealed record PointSelector
{
    private PointSelector(IReadOnlyCollection<PointId>? ids, Filter? filter)
    {
        Ids = ids;
        Filter = filter;
    }

    /// <summary>The ids, or null when a filter selects.</summary>
    public IReadOnlyCollection<PointId>? Ids { get; }

    /// <summary>The filter, or null when ids are listed.</summary>
    public Filter? Filter { get; }

    /// <summary>These ids (those that do not exist are ignored).</summary>
    public static PointSelector ByIds(IEnumerable<PointId> ids) => new([.. ids ?? throw new ArgumentNullException(nameof(ids))], null);

    /// <summary>The points a filter selects.</summary>
    public static PointSelector ByFilter(Filter filter) => new(null, filter ?? throw new ArgumentNullException(nameof(filter)));

    /// <summary>Listed ids.</summary>
    public static implicit operator PointSelector(PointId[] ids) => ByIds(ids);

    /// <summary>Listed ids.</summary>
    public static implicit operator PointSelector(List<PointId> ids) => ByIds(ids);

    /// <summary>The points a filter selects.</summary>
    public static implicit operator PointSelector(Filter filter) => ByFilter(filter);
}

/// <summary>A stored point as read back.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Payload">Its payload (an empty object when it has none), or null when not requested.</param>
/// <param name="Vector">Its stored vector (normalized under cosine), or null when not requested.</param>
public sealed record PointRecord(PointId Id, JsonObject? Payload, float[]? Vector);

/// <summary>A search hit.</summary>
/// <param name="Id">The point's id.</param>
/// <param name="Score">Cosine similarity, inner product, or Euclidean distance (lower is closer) for Euclidean.</param>
/// <param name="Payload">Its payload, or null when not requested.</param>
/// <param name="Vector">Its vector, or null when not requested.</param>
public sealed record ScoredPoint(PointId Id, float Score, JsonObject? Payload, float[]? Vector);

/// <summary>The hits of a search, best first, and the cascade's trace.</summary>
public sealed record PointSearchResult(IReadOnlyList<ScoredPoint> Hits, SearchTrace Trace);

/// <summary>One page of a scroll and the id the next page starts at (null at the end).</summary>
public sealed record ScrollPage(IReadOnlyList<PointRecord> Points, PointId? NextOffset);

/// <summary>
/// How a collection is split and copied, in Qdrant's names: <paramref name="ShardNumber"/> shards,
/// <paramref name="ReplicationFactor"/> copies of each, writes acknowledged by <paramref name="WriteConsistencyFactor"/>
/// copies (0: every live one), and how many copies are stale now (missed writes and catching up: Qdrant's yellow).
/// </summary>
public sealed record ShardingInfo(int ShardNumber, int ReplicationFactor, int WriteConsistencyFactor, int StaleReplicas)
{
    /// <summary>An embedded collection: one shard, one copy, which acknowledges every write.</summary>
    public static ShardingInfo Single { get; } = new(1, 1, 1, 0);
}

/// <summary>What a collection holds and what it costs.</summary>
public sealed record CollectionInfo
{
    /// <summary>The collection's name.</summary>
    public required string Name { get; init; }

    /// <summary>Live points.</summary>
    public required long Count { get; init; }

    /// <summary>The options it was created with.</summary>
    public required CollectionOptions Options { get; init; }

    /// <summary>Bytes per vector by tier.</summary>
    public required TierBytes BytesPerVector { get; init; }

    /// <summary>Deleted points whose codes stay in the columns until the next compaction.</summary>
    public required long Tombstones { get; init; }

    /// <summary>Whether a background compaction is running (<see cref="DatabaseOptions.Compaction"/>).</summary>
    public bool Compacting { get; init; }

    /// <summary>
    /// Which index answers unfiltered searches now: <see cref="IndexType.Graph"/> or <see cref="IndexType.Flat"/> (never
    /// <see cref="IndexType.Auto"/>; <see cref="CollectionOptions.Index"/> holds what was asked for).
    /// </summary>
    public IndexType AnsweringIndex { get; init; } = IndexType.Flat;

    /// <summary>
    /// Why <see cref="AnsweringIndex"/> answers, in a few words: the graph's calibration at the default quality (the beam
    /// width that holds its recall floor, or why the flat cascade answers instead), or that the collection is below its
    /// graph threshold or flat by type.
    /// </summary>
    public string AnsweringReason { get; init; } = "";

    /// <summary>Sequence number of the last write.</summary>
    public required long LogSequence { get; init; }

    /// <summary>Payload indexes: field → schema.</summary>
    public required IReadOnlyDictionary<string, string> PayloadIndexes { get; init; }

    /// <summary>Bytes on disk by file group: index columns, originals, points database, log.</summary>
    public required IReadOnlyDictionary<string, long> FileBytes { get; init; }

    /// <summary>How the collection is split and copied: one shard in one copy for an embedded collection, a cluster's layout otherwise.</summary>
    public ShardingInfo Sharding { get; init; } = ShardingInfo.Single;

    /// <summary>The one-line JSON form that <c>bitsieve info --json</c> prints.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("collection", Name);
            w.WriteNumber("count", Count);
            w.WriteNumber("dimension", Options.Dimension);
            w.WriteString("metric", Options.Metric.ToString().ToLowerInvariant());
            w.WriteNumber("bits", Options.Bits);
            w.WriteNumber("tombstones", Tombstones);
            w.WriteBoolean("compacting", Compacting);
            w.WriteString("index", AnsweringIndex.ToString().ToLowerInvariant());
            w.WriteString("index_reason", AnsweringReason);
            w.WriteStartObject("index_options");
            w.WriteString("type", Options.Index.ToString().ToLowerInvariant());
            w.WriteNumber("graph_degree", Options.GraphDegree);
            w.WriteNumber("graph_build_beam", Options.GraphBuildBeam);
            w.WriteNumber("graph_threshold", Options.GraphThreshold);
            w.WriteEndObject();
            w.WriteNumber("log_sequence", LogSequence);
            w.WriteStartObject("bytes_per_vector");
            w.WriteNumber("t1", BytesPerVector.T1);
            w.WriteNumber("t2", BytesPerVector.T2);
            w.WriteNumber("factors", BytesPerVector.Factors);
            w.WriteNumber("t3", BytesPerVector.T3);
            w.WriteEndObject();
            w.WriteStartObject("bytes_by_tier");
            w.WriteNumber("t1", BytesPerVector.T1 * Count);
            w.WriteNumber("t2", BytesPerVector.T2 * Count);
            w.WriteNumber("factors", BytesPerVector.Factors * Count);
            w.WriteNumber("t3", BytesPerVector.T3 * Count);
            w.WriteNumber("resident", (long)BytesPerVector.Resident * Count);
            w.WriteEndObject();
            w.WriteStartObject("file_bytes");
            foreach (var (group, bytes) in FileBytes) w.WriteNumber(group, bytes);
            w.WriteEndObject();
            w.WriteStartObject("payload_indexes");
            foreach (var (field, schema) in PayloadIndexes) w.WriteString(field, schema);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>
/// A durable collection of points (id, vector, JSON payload), searched by the dynamic cascade.
/// Every write is logged (<see cref="WriteAheadLog"/>) before it is applied to the points database (SQLite) and the
/// vector index, and acknowledged only once durable; a crash loses nothing acknowledged (<c>Collection.Recovery.cs</c>).
/// Thread-safety: any number of concurrent searches and reads, which see each write whole or not at all; writes
/// from several threads are serialized. A read-only open follows its writer: each read sees the state after one log
/// record, index and points database alike (<c>Collection.Readers.cs</c>).
/// </summary>
public sealed partial class Collection : IDisposable
{
    private const string IndexFolder = "index";

    // Writers take _writeGate for the whole write (log, apply, checkpoint); applying a write and swapping the index
    // take _state for writing, briefly; readers take _state for reading.
    private readonly Lock _writeGate = new();
    private readonly ReaderWriterLockSlim _state = new(LockRecursionPolicy.NoRecursion);
    private readonly string _directory;
    private readonly PointStore _store;
    private readonly WriteAheadLog? _log;
    private VectorIndex _index;
    private readonly Filters.AllowedKeyCache _filterKeys = new();
    private long _snapshotBytes;
    private Exception? _failure;
    private bool _closed;

    private Collection(string name, string directory, DatabaseOptions databaseOptions, VectorIndex index, PointStore store, WriteAheadLog? log)
    {
        Name = name;
        _directory = directory;
        DatabaseOptions = databaseOptions;
        _index = index;
        _store = store;
        _log = log;
        Options = index.Options;
    }

    /// <summary>The collection's name.</summary>
    public string Name { get; }

    /// <summary>The options it was created with.</summary>
    public CollectionOptions Options { get; }

    /// <summary>How its database was opened.</summary>
    public DatabaseOptions DatabaseOptions { get; }

    /// <summary>The dimension of every vector.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>Live points.</summary>
    public long Count => Read(() => (long)_index.Count);

    /// <summary>Describes the collection: counts, bytes per tier, file sizes.</summary>
    public CollectionInfo Info() => Read(() => new CollectionInfo
    {
        Name = Name,
        Count = _index.Count,
        Options = Options,
        BytesPerVector = _index.BytesPerVector,
        Tombstones = _index.Tombstones,
        Compacting = IsCompacting,
        AnsweringIndex = _index.AnsweringIndex,
        AnsweringReason = _index.AnsweringReason,
        LogSequence = _log?.LastSequence ?? _readSequence,
        PayloadIndexes = _store.PayloadIndexes.All(),
        FileBytes = FileBytes(),
    });

    /// <summary>What is inconsistent between the graph and the points (tests and crash checks; empty when nothing).</summary>
    internal List<string> GraphProblems() => Read(() => _index.GraphProblems());

    /// <summary>Which index answers unfiltered searches now.</summary>
    internal IndexType AnsweringIndex => Read(() => _index.AnsweringIndex);

    /// <summary>Checkpoints (unless read-only) and closes; the <see cref="Database"/> owns this.</summary>
    void IDisposable.Dispose() => Close(checkpoint: !DatabaseOptions.ReadOnly);

    internal void Close(bool checkpoint) => WithoutCompaction(cancel: true, () =>
    {
        if (_closed) return;
        try
        {
            if (checkpoint && _failure is null && _log is not null && _log.LastSequence > _index.LogSequence) CheckpointLocked(compact: false);
        }
        finally
        {
            _state.EnterWriteLock();
            _closed = true;
            _state.ExitWriteLock();
            _index.Dispose();
            _store.Dispose();
            _log?.Dispose();
        }
    });

    /// <summary>
    /// Bytes by file group. A save (a checkpoint, or a background compaction beside searches and writes) creates, renames
    /// and deletes files meanwhile: a file gone between the listing and its size counts as nothing.
    /// </summary>
    private Dictionary<string, long> FileBytes()
    {
        long index = 0, originals = 0;
        foreach (var file in new DirectoryInfo(Path.Combine(_directory, IndexFolder)).EnumerateFiles())
        {
            long length;
            try
            {
                length = file.Length;
            }
            catch (FileNotFoundException)
            {
                continue; // deleted by a checkpoint or a compaction since it was listed
            }
            if (file.Name.StartsWith("originals.", StringComparison.Ordinal)) originals += length;
            else index += length;
        }
        var log = new FileInfo(Path.Combine(_directory, WriteAheadLog.FileName));
        return new Dictionary<string, long>
        {
            ["index"] = index,
            ["originals"] = originals,
            ["points_db"] = _store.FileBytes(),
            ["wal"] = log.Exists ? log.Length : 0,
        };
    }

    private T Read<T>(Func<T> read)
    {
        using var scope = EnterRead();
        return read();
    }

    private void CheckOpen()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_failure is not null)
            throw new InvalidOperationException($"Collection '{Name}' failed to apply a logged write and must be reopened (its log replays the write): {_failure.Message}", _failure);
    }

    private static JsonObject ParsePayload(string json) =>
        JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("A stored payload is not a JSON object.");
}
