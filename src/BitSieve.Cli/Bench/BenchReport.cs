using System.Globalization;
using System.Text;
using System.Text.Json;

using BitSieve.Search.Graph;

namespace BitSieve.Cli.Bench;

/// <summary>One search method measured one query per call.</summary>
/// <param name="Name">What the table calls it.</param>
/// <param name="Oversampling">The factor m of the fixed baseline; null for exact and the cascade.</param>
/// <param name="Recall">Mean recall@k against the ground truth.</param>
/// <param name="Qps">Queries per second: median of three timed passes after at least a second of warm-up passes.</param>
/// <param name="T1KeptPerQuery">Mean <see cref="SearchTrace.T1Kept"/>.</param>
/// <param name="T2PerQuery">Mean <see cref="SearchTrace.T2Seen"/>.</param>
/// <param name="T3PerQuery">Mean <see cref="SearchTrace.T3Seen"/>.</param>
internal sealed record MethodResult(string Name, int? Oversampling, double Recall, double Qps, double T1KeptPerQuery, double T2PerQuery, double T3PerQuery)
{
    /// <summary>The cascade's recall target, for the rows of <see cref="BenchReport.CascadeSweep"/>.</summary>
    public Quality? Quality { get; init; }
}

/// <summary>The three methods with all queries passed in one call.</summary>
/// <param name="ExactQps">Exact float32 (<see cref="VectorIndex.SearchExactBatch"/>).</param>
/// <param name="ExactRecall">Its recall@k.</param>
/// <param name="FixedQps">Fixed baseline at <paramref name="FixedOversampling"/>.</param>
/// <param name="FixedRecall">Its recall@k.</param>
/// <param name="FixedOversampling">The smallest m whose single-query recall reached the cascade's (64 if none).</param>
/// <param name="CascadeQps">The cascade.</param>
/// <param name="CascadeRecall">Its recall@k.</param>
internal sealed record BatchResult(double ExactQps, double ExactRecall, double FixedQps, double FixedRecall, int FixedOversampling, double CascadeQps, double CascadeRecall);

/// <summary>Everything one bench run measured; writes the table and the JSON line.</summary>
internal sealed record BenchReport
{
    /// <summary>Points in the collection.</summary>
    public required int N { get; init; }

    /// <summary>Vector dimension.</summary>
    public required int Dim { get; init; }

    /// <summary>Results per query.</summary>
    public required int K { get; init; }

    /// <summary>Threads per call.</summary>
    public required int Threads { get; init; }

    /// <summary>Queries measured.</summary>
    public required int Queries { get; init; }

    /// <summary>The collection's metric.</summary>
    public required Metric Metric { get; init; }

    /// <summary>Bits per dimension of the T1 + T2 code.</summary>
    public required int Bits { get; init; }

    /// <summary>The cascade's quality target.</summary>
    public required Quality Quality { get; init; }

    /// <summary>Where the ground truth came from (a file, or computed in the run).</summary>
    public required string TruthSource { get; init; }

    /// <summary>Exact float32 brute force, one query per call.</summary>
    public required MethodResult Exact { get; init; }

    /// <summary>The fixed-oversampling baseline, one entry per m.</summary>
    public required IReadOnlyList<MethodResult> Fixed { get; init; }

    /// <summary>The dynamic cascade, one query per call.</summary>
    public required MethodResult Cascade { get; init; }

    /// <summary>The batched runs.</summary>
    public required BatchResult Batch { get; init; }

    /// <summary>The cascade at each <see cref="BenchSettings.CascadeSweep"/> target, measured for <c>--plot</c>; empty otherwise.</summary>
    public IReadOnlyList<MethodResult> CascadeSweep { get; init; } = [];

    /// <summary>Bytes per vector by tier.</summary>
    public required TierBytes BytesPerVector { get; init; }

    /// <summary>Peak resident set (VmHWM) of the process in bytes; 0 where unavailable.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>Seconds spent building the collection (including generation under --scale-to).</summary>
    public double BuildSeconds { get; init; }

    /// <summary>The graph index, when the run measured one (<c>--index graph</c>).</summary>
    public GraphReport? Graph { get; init; }

    /// <summary>Cascade QPS over exact QPS, one query per call.</summary>
    public double SpeedupVsExact => Exact.Qps > 0 ? Cascade.Qps / Exact.Qps : 0;

    /// <summary>The report as one line of JSON, the shape other tools read.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("n", N);
            json.WriteNumber("dim", Dim);
            json.WriteNumber("k", K);
            json.WriteNumber("threads", Threads);
            json.WriteNumber("queries", Queries);

            json.WriteStartObject("exact");
            json.WriteNumber("qps", RoundQps(Exact.Qps));
            json.WriteEndObject();

            json.WriteStartObject("cascade");
            json.WriteString("quality", Quality.ToString());
            json.WriteNumber("recall", RoundRecall(Cascade.Recall));
            json.WriteNumber("qps", RoundQps(Cascade.Qps));
            json.WriteNumber("t2_per_query", Math.Round(Cascade.T2PerQuery, 2));
            json.WriteNumber("t3_per_query", Math.Round(Cascade.T3PerQuery, 2));
            json.WriteNumber("resident_bytes_per_vector", BytesPerVector.Resident);
            json.WriteNumber("peak_rss_bytes", PeakRssBytes);
            json.WriteEndObject();

            json.WriteStartArray("fixed");
            foreach (var method in Fixed)
            {
                json.WriteStartObject();
                json.WriteNumber("oversampling", method.Oversampling ?? 0);
                json.WriteNumber("recall", RoundRecall(method.Recall));
                json.WriteNumber("qps", RoundQps(method.Qps));
                json.WriteEndObject();
            }

            json.WriteEndArray();

            if (CascadeSweep.Count > 0)
            {
                json.WriteStartArray("cascade_sweep");
                foreach (var method in CascadeSweep)
                {
                    json.WriteStartObject();
                    json.WriteString("quality", method.Quality?.ToString());
                    json.WriteNumber("recall", RoundRecall(method.Recall));
                    json.WriteNumber("qps", RoundQps(method.Qps));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteStartObject("batch");
            json.WriteNumber("exact_qps", RoundQps(Batch.ExactQps));
            json.WriteNumber("fixed_qps", RoundQps(Batch.FixedQps));
            json.WriteNumber("fixed_oversampling", Batch.FixedOversampling);
            json.WriteNumber("cascade_qps", RoundQps(Batch.CascadeQps));
            json.WriteEndObject();

            if (Graph is { } graph) WriteGraph(json, graph);

            json.WriteNumber("speedup_vs_exact", Math.Round(SpeedupVsExact, 3));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    // "default" names its path: "graph" (at the calibrated "ef") or "flat" (the cascade's row, "ef" 0).
    private void WriteGraph(Utf8JsonWriter json, GraphReport graph)
    {
        json.WriteStartObject("graph");
        json.WriteNumber("build_s", Math.Round(graph.BuildSeconds, 3));
        json.WriteNumber("resident_bytes_per_vector", graph.ResidentBytesPerVector);
        json.WriteStartObject("default");
        json.WriteString("path", PathName(graph.Calibration.Path));
        json.WriteString("quality", Quality.ToString());
        json.WriteNumber("ef", graph.Default.Ef);
        json.WriteNumber("recall", RoundRecall(graph.Default.Recall));
        json.WriteNumber("qps", RoundQps(graph.Default.Qps));
        json.WriteNumber("t1_per_query", Math.Round(graph.Default.T1PerQuery, 2));
        json.WriteNumber("t2_per_query", Math.Round(graph.Default.T2PerQuery, 2));
        json.WriteNumber("t3_per_query", Math.Round(graph.Default.T3PerQuery, 2));
        json.WriteNumber("visited_per_query", Math.Round(graph.Default.VisitedPerQuery, 2));
        json.WriteEndObject();
        var calibration = graph.Calibration;
        json.WriteStartObject("calibration");
        json.WriteNumber("s", Math.Round(graph.CalibrationSeconds, 3));
        json.WriteNumber("queries", calibration.Queries);
        json.WriteNumber("floor", calibration.Floor);
        json.WriteNumber("ef", calibration.Ef);
        json.WriteNumber("sample_recall", RoundRecall(calibration.Recall));
        json.WriteNumber("graph_cost", double.IsFinite(calibration.GraphCost) ? Math.Round(calibration.GraphCost, 1) : -1);
        json.WriteNumber("flat_cost", Math.Round(calibration.FlatCost, 1));
        json.WriteStartArray("filtered");
        foreach (var trial in calibration.Filtered)
        {
            json.WriteStartObject();
            json.WriteNumber("fraction", trial.Fraction);
            json.WriteNumber("ef", trial.Ef);
            json.WriteNumber("sample_recall", RoundRecall(trial.Recall));
            json.WriteNumber("graph_cost", double.IsFinite(trial.Cost) ? Math.Round(trial.Cost, 1) : -1);
            json.WriteNumber("flat_cost", Math.Round(trial.FlatCost, 1));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartArray("sweep");
        foreach (var point in graph.Sweep)
        {
            json.WriteStartObject();
            json.WriteNumber("ef", point.Ef);
            json.WriteNumber("recall", RoundRecall(point.Recall));
            json.WriteNumber("qps", RoundQps(point.Qps));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (graph.Filtered.Count > 0)
        {
            json.WriteStartArray("filtered");
            foreach (var row in graph.Filtered)
            {
                json.WriteStartObject();
                json.WriteNumber("selectivity", row.Selectivity);
                json.WriteNumber("allowed", row.Allowed);
                json.WriteString("plan", PlanName(row.Plan));
                WritePath(json, "direct", row.DirectRecall, row.DirectQps);
                WritePath(json, "flat", row.FlatRecall, row.FlatQps);
                WritePath(json, "graph", row.GraphRecall, row.GraphQps);
                json.WriteNumber("graph_ef", row.Ef);
                json.WriteNumber("graph_visited_per_query", Math.Round(row.GraphVisitedPerQuery, 1));
                json.WriteNumber("graph_estimates_per_query", Math.Round(row.GraphEstimatesPerQuery, 1));
                WritePath(json, "planned", row.PlannedRecall, row.PlannedQps);
                json.WriteNumber("planned_vs_flat", Math.Round(row.PlannedSpeedup, 2));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WritePath(Utf8JsonWriter json, string name, double recall, double qps)
    {
        json.WriteStartObject(name);
        json.WriteNumber("recall", RoundRecall(recall));
        json.WriteNumber("qps", RoundQps(qps));
        json.WriteEndObject();
    }

    private static string PlanName(GraphSearchPlan plan) => plan switch
    {
        GraphSearchPlan.ScoreAllowed => "direct",
        GraphSearchPlan.Graph => "graph",
        _ => "flat",
    };

    /// <summary>Writes the aligned, human-readable table.</summary>
    public void WriteTable(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"n={N} dim={Dim} metric={BenchSettings.MetricName(Metric)} bits={Bits} k={K} threads={Threads} queries={Queries} truth={TruthSource}"));
        output.WriteLine();
        string recallHeader = string.Create(c, $"recall@{K}");
        output.WriteLine(string.Create(c, $"{"method",-22} {recallHeader,9} {"QPS",11} {"×exact",8} {"t1 kept/q",11} {"t2/q",11} {"t3/q",11}"));
        WriteRow(output, Exact);
        foreach (var method in Fixed) WriteRow(output, method);
        WriteRow(output, Cascade);
        output.WriteLine();
        output.WriteLine("batch (all queries in one call):");
        WriteBatchRow(output, "exact float32", Batch.ExactRecall, Batch.ExactQps);
        WriteBatchRow(output, string.Create(c, $"fixed m={Batch.FixedOversampling}"), Batch.FixedRecall, Batch.FixedQps);
        WriteBatchRow(output, Cascade.Name, Batch.CascadeRecall, Batch.CascadeQps);
        output.WriteLine();
        var b = BytesPerVector;
        output.WriteLine(string.Create(c, $"memory: resident {b.Resident} B/vector (T1 {b.T1} + T2 {b.T2} + factors {b.Factors}); float32 originals {b.T3} B/vector"));
        output.WriteLine(string.Create(c, $"peak RSS: {(PeakRssBytes > 0 ? $"{PeakRssBytes / (1024.0 * 1024.0):F1} MiB" : "unavailable")}; build {BuildSeconds:F1} s"));
        output.WriteLine(string.Create(c, $"cascade speedup vs exact (single query): {SpeedupVsExact:F2}×"));
        if (Graph is { } graph) WriteGraphTable(output, graph);
    }

    private void WriteGraphTable(TextWriter output, GraphReport graph)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine(string.Create(c,
            $"graph (Vamana R={graph.MaxDegree} L={graph.BuildBeam} α={graph.Alpha}): built in {graph.BuildSeconds:F1} s on {graph.BuildThreads} threads; resident {graph.ResidentBytesPerVector} B/vector ({BytesPerVector.Resident} + graph {graph.GraphBytesPerVector})"));
        string recallHeader = string.Create(c, $"recall@{K}");
        output.WriteLine(string.Create(c, $"{"method",-22} {recallHeader,9} {"QPS",11} {"×exact",8} {"t1/q",9} {"t2/q",9} {"t3/q",9} {"visited/q",10} {"hops/q",9}"));
        var calibration = graph.Calibration;
        output.WriteLine(string.Create(c,
            $"calibration ({graph.CalibrationSeconds:F2} s, {calibration.Queries} stored points as queries, floor {calibration.Floor}): {PathName(calibration.Path)}; ef {calibration.Ef}, sample recall {calibration.Recall:F4}, cost/query {calibration.GraphCost:F0} against flat {calibration.FlatCost:F0}"));
        foreach (var trial in calibration.Filtered)
            output.WriteLine(string.Create(c,
                $"  filtered at {trial.Fraction}: {(trial.Holds ? $"ef {trial.Ef}" : "no width holds")}, sample recall {trial.Recall:F4}, cost/query {trial.Cost:F0} against flat {trial.FlatCost:F0}"));
        WriteGraphRow(output, calibration.Path == GraphPath.Graph ? string.Create(c, $"graph default ef={graph.Default.Ef}") : "graph default = flat", graph.Default);
        foreach (var point in graph.Sweep) WriteGraphRow(output, string.Create(c, $"graph ef={point.Ef}"), point);
        if (graph.Filtered.Count == 0) return;
        output.WriteLine();
        output.WriteLine(string.Create(c, $"filtered search (seeded random allowed sets; recall@{K} against exact filtered search; QPS one query per call):"));
        output.WriteLine(string.Create(c, $"{"selectivity",11} {"allowed",9} {"plan",7} {"direct",9} {"QPS",9} {"flat",9} {"QPS",9} {"graph ef",8} {"graph",9} {"QPS",9} {"visited/q",10} {"t1/q",9} {"planned",9} {"QPS",9} {"× flat",7}"));
        foreach (var row in graph.Filtered)
            output.WriteLine(string.Create(c,
                $"{row.Selectivity,11} {row.Allowed,9} {PlanName(row.Plan),7} {row.DirectRecall,9:F4} {row.DirectQps,9:F0} {row.FlatRecall,9:F4} {row.FlatQps,9:F0} {row.Ef,8} {row.GraphRecall,9:F4} {row.GraphQps,9:F0} {row.GraphVisitedPerQuery,10:F1} {row.GraphEstimatesPerQuery,9:F1} {row.PlannedRecall,9:F4} {row.PlannedQps,9:F0} {row.PlannedSpeedup,7:F2}"));
    }

    private static string PathName(GraphPath path) => path == GraphPath.Graph ? "graph" : "flat";

    private void WriteGraphRow(TextWriter output, string name, GraphMethodResult point)
    {
        double ratio = Exact.Qps > 0 ? point.Qps / Exact.Qps : 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22} {point.Recall,9:F4} {point.Qps,11:F1} {ratio,8:F2} {point.T1PerQuery,9:F1} {point.T2PerQuery,9:F1} {point.T3PerQuery,9:F1} {point.VisitedPerQuery,10:F1} {point.HopsPerQuery,9:F1}"));
    }

    private void WriteRow(TextWriter output, MethodResult method)
    {
        double ratio = Exact.Qps > 0 ? method.Qps / Exact.Qps : 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{method.Name,-22} {method.Recall,9:F4} {method.Qps,11:F1} {ratio,8:F2} {method.T1KeptPerQuery,11:F1} {method.T2PerQuery,11:F1} {method.T3PerQuery,11:F1}"));
    }

    private void WriteBatchRow(TextWriter output, string name, double recall, double qps)
    {
        double ratio = Batch.ExactQps > 0 ? qps / Batch.ExactQps : 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-22} {recall,9:F4} {qps,11:F1} {ratio,8:F2}"));
    }

    private static double RoundQps(double qps) => double.IsFinite(qps) ? Math.Round(qps, 2) : 0;

    private static double RoundRecall(double recall) => double.IsFinite(recall) ? Math.Round(recall, 6) : 0;
}
