using System.Globalization;
using System.Text.Json;

namespace BitSieve;

/// <summary>One result: the point id, its ordinal in the column files and its exact score under the metric.</summary>
/// <param name="Id">The point id.</param>
/// <param name="Ordinal">The row of the point in the column files.</param>
/// <param name="Score">Cosine similarity, inner product, or Euclidean distance (lower is closer) for Euclidean.</param>
internal readonly record struct Hit(ulong Id, int Ordinal, float Score);

/// <summary>The answer to one query: hits best first, and the cascade's trace.</summary>
internal sealed class SearchResult
{
    internal SearchResult(Hit[] hits, SearchTrace trace)
    {
        Hits = hits;
        Trace = trace;
    }

    /// <summary>The hits, best first.</summary>
    public IReadOnlyList<Hit> Hits { get; }

    /// <summary>What each tier of the precision ladder did for this query.</summary>
    public SearchTrace Trace { get; }
}

/// <summary>
/// How many vectors each tier saw and kept, and the time it spent (microseconds).
/// <c>T3Seen</c> counts every float32 original read, including the exact scores fetched for the answer.
/// </summary>
public sealed class SearchTrace
{
    internal SearchTrace()
    {
    }

    /// <summary>Vectors scored at 1 bit.</summary>
    public long T1Seen { get; internal set; }

    /// <summary>Vectors whose T1 interval still reached the top k.</summary>
    public long T1Kept { get; internal set; }

    /// <summary>Microseconds in the T1 pass.</summary>
    public double T1Micros { get; internal set; }

    /// <summary>Vectors refined at T2.</summary>
    public long T2Seen { get; internal set; }

    /// <summary>Vectors whose T2 interval still reached the top k.</summary>
    public long T2Kept { get; internal set; }

    /// <summary>Microseconds in the T2 pass.</summary>
    public double T2Micros { get; internal set; }

    /// <summary>Float32 originals read.</summary>
    public long T3Seen { get; internal set; }

    /// <summary>Microseconds in the T3 pass.</summary>
    public double T3Micros { get; internal set; }

    /// <summary>
    /// A search over a sharded collection (a BitSieve cluster's): each shard's part, in shard order; empty for one
    /// collection. The tier counts above are then the shards' sums.
    /// </summary>
    public IReadOnlyList<ShardTrace> Shards { get; internal set; } = [];

    /// <summary>Adds another trace (used to merge shards and threads).</summary>
    internal void Add(SearchTrace other)
    {
        ArgumentNullException.ThrowIfNull(other);
        T1Seen += other.T1Seen; T1Kept += other.T1Kept; T1Micros += other.T1Micros;
        T2Seen += other.T2Seen; T2Kept += other.T2Kept; T2Micros += other.T2Micros;
        T3Seen += other.T3Seen; T3Micros += other.T3Micros;
    }

    /// <summary>The trace as one JSON object, the shape used by every surface (with <c>shards</c> only over shards).</summary>
    public string ToJson()
    {
        string tiers = string.Create(CultureInfo.InvariantCulture,
            $"\"t1\":{{\"seen\":{T1Seen},\"kept\":{T1Kept},\"us\":{Math.Round(T1Micros)}}},\"t2\":{{\"seen\":{T2Seen},\"kept\":{T2Kept},\"us\":{Math.Round(T2Micros)}}},\"t3\":{{\"seen\":{T3Seen},\"us\":{Math.Round(T3Micros)}}}");
        if (Shards.Count == 0) return "{" + tiers + "}";
        return "{" + tiers + ",\"shards\":[" + string.Join(",", Shards.Select(s => s.ToJson())) + "]}";
    }

    /// <inheritdoc />
    public override string ToString() => ToJson();
}

/// <summary>One shard's part of a search over a sharded collection: the replica that answered and what its cascade saw.</summary>
public sealed class ShardTrace
{
    internal ShardTrace(int shard, string replica, int hits, long t1Seen, long t2Seen, long t3Seen, float? bound)
    {
        Shard = shard;
        Replica = replica;
        Hits = hits;
        T1Seen = t1Seen;
        T2Seen = t2Seen;
        T3Seen = t3Seen;
        Bound = bound;
    }

    /// <summary>The shard's number.</summary>
    public int Shard { get; }

    /// <summary>The replica that answered (a cluster's <c>COLLECTION/SHARD/REPLICA@SILO</c>).</summary>
    public string Replica { get; }

    /// <summary>The hits (or candidates) it returned.</summary>
    public int Hits { get; }

    /// <summary>Vectors its cascade scored at 1 bit.</summary>
    public long T1Seen { get; }

    /// <summary>Vectors it refined at T2.</summary>
    public long T2Seen { get; }

    /// <summary>Float32 originals it read.</summary>
    public long T3Seen { get; }

    /// <summary>The global bound its cascade pruned against (another shard's k-th score), or null.</summary>
    public float? Bound { get; }

    internal string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"shard\":{Shard},\"replica\":\"{JsonEncodedText.Encode(Replica)}\",\"hits\":{Hits},\"t1\":{{\"seen\":{T1Seen}}},\"t2\":{{\"seen\":{T2Seen}}},\"t3\":{{\"seen\":{T3Seen}}},\"bound\":{(Bound is { } b ? b.ToString("R", CultureInfo.InvariantCulture) : "null")}}}");
}
