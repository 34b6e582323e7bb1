using System.Diagnostics;
using System.Globalization;
using BitSieve.Search.Graph;

namespace BitSieve.Cli.Bench;

internal static partial class BenchRunner
{
    // Builds the graph over the whole collection (no size threshold), calibrates it for the run's quality, and measures
    // the default (the graph at the calibrated beam width, or the flat cascade's row when calibration chose flat) and the
    // sweep, one query per call, with the same protocol and thread count as the other rows.
    private static GraphReport MeasureGraph(BenchSettings settings, VectorIndex collection, float[] queryData, int[][] truth, MethodResult cascade, TextWriter log, CancellationToken cancellationToken)
    {
        int k = settings.K;
        int dim = collection.Dimension;
        int queryCount = truth.Length;
        var options = new GraphBuildOptions { Threads = settings.GraphBuildThreads };
        var build = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var graph = collection.BuildGraph(options);
        double buildSeconds = build.Elapsed.TotalSeconds;
        // CPU time as well: wall-clock throughput on a shared machine says more about the load than about the build.
        double buildCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Log(log,
            $"graph built over {graph.Count} points in {buildSeconds:F1} s on {options.Threads} threads ({graph.Count / Math.Max(buildSeconds, 1e-9):F0} points/s; {buildCpuSeconds:F1} CPU s, {buildCpuSeconds * 1000 / Math.Max(1, graph.Count):F3} CPU s per 1,000 points)");
        var calibrating = Stopwatch.StartNew();
        var calibration = collection.CalibrateGraph(graph, settings.Quality);
        double calibrationSeconds = calibrating.Elapsed.TotalSeconds;
        Log(log,
            $"graph calibrated in {calibrationSeconds:F2} s on {calibration.Queries} stored points: {(calibration.Path == GraphPath.Graph ? "graph" : "flat")}, ef {calibration.Ef}, sample recall {calibration.Recall:F4} (floor {calibration.Floor}), cost {calibration.GraphCost:F0} against flat {calibration.FlatCost:F0}");
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

        // The flat path's default is the run's own cascade row: T1 estimates every live point, no graph visits.
        var defaultResult = calibration.Path == GraphPath.Graph
            ? Measure(calibration.Ef)
            : new GraphMethodResult(0, cascade.Recall, cascade.Qps, collection.Count, cascade.T2PerQuery, cascade.T3PerQuery, 0, 0);
        var sweep = new List<GraphMethodResult>(BenchSettings.GraphSweep.Count);
        foreach (int ef in BenchSettings.GraphSweep) sweep.Add(ef == defaultResult.Ef ? defaultResult : Measure(ef));
        var filtered = settings.FilterSelectivities.Count == 0 ? [] : MeasureGraphFilters(settings, collection, graph, calibration, sweep, queryData, queryCount, log, cancellationToken);
        return new GraphReport
        {
            Filtered = filtered,
            BuildSeconds = buildSeconds,
            BuildThreads = options.Threads,
            MaxDegree = options.MaxDegree,
            BuildBeam = options.BuildBeam,
            Alpha = options.Alpha,
            GraphBytesPerVector = graph.BytesPerVector,
            ResidentBytesPerVector = collection.BytesPerVector.Resident + graph.BytesPerVector,
            Calibration = calibration,
            CalibrationSeconds = calibrationSeconds,
            Default = defaultResult,
            Sweep = sweep,
        };
    }
}
