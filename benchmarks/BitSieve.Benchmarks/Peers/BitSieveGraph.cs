using System.Diagnostics;
using System.Globalization;
using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve.Benchmarks.Peers;

/// <summary>
/// BitSieve's graph over the same normalized vectors as the USearch peer, built and searched the way
/// <c>bitsieve bench --index graph</c> does (a flat <see cref="VectorIndex"/>, 4 bits, a bulk-built graph searched at a
/// fixed beam width with the default quality's settling), so the two can be timed in one process.
/// </summary>
internal sealed class BitSieveGraph : IDisposable
{
    private readonly VectorIndex _index;
    private readonly GraphIndex _graph;
    private readonly int _dimension;

    private BitSieveGraph(VectorIndex index, GraphIndex graph, int dimension, double buildSeconds, double buildCpuSeconds)
    {
        _index = index;
        _graph = graph;
        _dimension = dimension;
        BuildSeconds = buildSeconds;
        BuildCpuSeconds = buildCpuSeconds;
    }

    /// <summary>Wall-clock seconds of the graph's bulk build (the columns' encoding before it is not counted).</summary>
    public double BuildSeconds { get; }

    /// <summary>CPU seconds of that build.</summary>
    public double BuildCpuSeconds { get; }

    /// <summary>Encodes the rows (ids are row numbers; dot product on the normalized rows) and bulk-builds the graph on <paramref name="threads"/> threads.</summary>
    public static BitSieveGraph Build(float[] data, int rows, int dimension, int threads, TextWriter log)
    {
        var index = VectorIndex.Create(new CollectionOptions { Dimension = dimension, Metric = Metric.Dot, Index = IndexType.Flat });
        const int Chunk = 16_384;
        var ids = new ulong[Chunk];
        for (int start = 0; start < rows; start += Chunk)
        {
            int count = Math.Min(Chunk, rows - start);
            for (int i = 0; i < count; i++) ids[i] = (ulong)(start + i);
            index.UpsertBatch(ids.AsSpan(0, count), data.AsSpan(start * dimension, count * dimension));
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = threads });
        double seconds = watch.Elapsed.TotalSeconds, cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bitsieve: graph built over {rows} x {dimension} (R {graph.MaxDegree}, L 64, {threads} threads) in {seconds:F1} s ({rows / seconds:F0} points/s, {cpuSeconds:F1} CPU s)"));
        return new BitSieveGraph(index, graph, dimension, seconds, cpuSeconds);
    }

    /// <summary>
    /// Answers the first <paramref name="count"/> queries one call each, through the graph at beam width
    /// <paramref name="ef"/>, or through the flat cascade when it is 0; with <paramref name="truth"/>, returns how many
    /// of the k found are exact neighbours.
    /// </summary>
    public int SearchAll(float[] queries, int count, int k, int ef, int[]? truth)
    {
        int found = 0;
        for (int query = 0; query < count; query++)
        {
            var vector = queries.AsSpan(query * _dimension, _dimension);
            var hits = ef == 0 ? _index.Search(vector, new SearchOptions { K = k }).Hits : _index.SearchGraph(_graph, vector, k, Math.Max(ef, k), Quality.Default).Result.Hits;
            if (truth is null) continue;
            var exact = truth.AsSpan(query * k, k);
            foreach (var hit in hits)
                if (exact.Contains((int)hit.Id)) found++;
        }
        return found;
    }

    /// <summary>Releases the index.</summary>
    public void Dispose() => _index.Dispose();
}
