using System.Diagnostics;
using System.Globalization;
using BitSieve.Search.Graph;

namespace BitSieve.Cli.Bench;

internal static partial class BenchRunner
{
    // Builds the graph over the whole collection (no size threshold) and measures the default beam width and the sweep,
    // one query per call, with the same protocol and thread count as the other rows.
    private static GraphReport MeasureGraph(BenchSettings settings, VectorIndex collection, float[] queryData, int[][] truth, TextWriter log, CancellationToken cancellationToken)
    {
        int k = settings.K;
        int dim = collection.Dimension;
        int queryCount = truth.Length;
        var options = new GraphBuildOptions { Threads = settings.GraphBuildThreads };
        var build = Stopwatch.StartNew();
        var graph = collection.BuildGraph(options);
        double buildSeconds = build.Elapsed.TotalSeconds;
        Log(log, $"graph built over {graph.Count} points in {buildSeconds:F1} s on {options.Threads} threads ({graph.Count / Math.Max(buildSeconds, 1e-9):F0} points/s)");
        GC.Collect();

        GraphMethodResult Measure(int ef)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int efUsed = Math.Max(ef, k);
            var traces = new GraphTrace[queryCount];
            string name = string.Create(CultureInfo.InvariantCulture, $"graph ef={efUsed}");
            var results = MeasureSingle(log, name, queryCount, i =>
            {
                var found = collection.SearchGraph(graph, queryData.AsSpan(i * dim, dim), k, efUsed, settings.Quality);
                traces[i] = found.Graph;
                return found.Result;
            }, out double qps);
            double t1 = 0, t2 = 0, t3 = 0, visited = 0, hops = 0;
            foreach (var t in traces)
            {
                t1 += t.T1;
                t2 += t.T2;
                t3 += t.T3;
                visited += t.Visited;
                hops += t.Hops;
            }
            int n = Math.Max(1, queryCount);
            return new GraphMethodResult(efUsed, Recall(ToIds(results), truth, k), qps, t1 / n, t2 / n, t3 / n, visited / n, hops / n);
        }

        var defaultResult = Measure(BenchSettings.GraphDefaultEf);
        var sweep = new List<GraphMethodResult>(BenchSettings.GraphSweep.Count);
        foreach (int ef in BenchSettings.GraphSweep) sweep.Add(ef == defaultResult.Ef ? defaultResult : Measure(ef));
        return new GraphReport
        {
            BuildSeconds = buildSeconds,
            BuildThreads = options.Threads,
            MaxDegree = options.MaxDegree,
            BuildBeam = options.BuildBeam,
            Alpha = options.Alpha,
            GraphBytesPerVector = graph.BytesPerVector,
            ResidentBytesPerVector = collection.BytesPerVector.Resident + graph.BytesPerVector,
            Default = defaultResult,
            Sweep = sweep,
        };
    }
}
