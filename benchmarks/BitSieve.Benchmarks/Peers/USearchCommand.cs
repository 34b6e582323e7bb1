using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.Json;

namespace BitSieve.Benchmarks.Peers;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/BitSieve.Benchmarks -- usearch --base B.fvecs --queries Q.fvecs
/// [--truth T.ivecs] [--ef 32,64,…] [--json OUT]</c>: USearch's HNSW as a peer of <c>bitsieve bench --index graph</c>
/// (see <see cref="USearchPeer"/>; docs/benchmarks.md).
/// </summary>
internal static class USearchCommand
{
    /// <summary>Parses and runs the command line (without its leading <c>usearch</c>); returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var basePath = new Option<string>("--base") { Description = "Base vectors (fvecs).", Required = true, HelpName = "B.fvecs" };
        var queries = new Option<string>("--queries") { Description = "Query vectors (fvecs).", Required = true, HelpName = "Q.fvecs" };
        var truth = new Option<string?>("--truth") { Description = "Exact neighbours (ivecs, base rows best first); without it exact search is run here.", HelpName = "T.ivecs" };
        var efforts = new Option<string>("--ef") { Description = "Search expansions (ef) to sweep, comma-separated.", DefaultValueFactory = _ => "32,64,96,128,192,256", HelpName = "LIST" };
        var connectivity = new Option<int>("--m") { Description = "HNSW M (connectivity).", DefaultValueFactory = _ => 16, HelpName = "M" };
        var expansionAdd = new Option<int>("--ef-construction") { Description = "Construction beam (expansion_add).", DefaultValueFactory = _ => 128, HelpName = "N" };
        var threads = new Option<int>("--build-threads") { Description = "Threads adding points (searches always run on one).", DefaultValueFactory = _ => 2, HelpName = "N" };
        var maxQueries = new Option<int>("--max-queries") { Description = "Use only the first N queries (0: all).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var beside = new Option<bool>("--beside-bitsieve") { Description = "Also build BitSieve's graph over the same vectors and time it at each ef right after USearch, in this process (and its flat cascade once)." };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "OUT.json" };
        var command = new RootCommand("USearch HNSW (Cloud.Unum.USearch, f32, inner product on normalized vectors): build time, then recall@10 and single-thread QPS at each ef.")
        {
            basePath, queries, truth, efforts, connectivity, expansionAdd, threads, maxQueries, beside, json,
        };
        var parsed = command.Parse(args);
        if (parsed.Action is HelpAction) return parsed.Invoke();
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine($"usearch: {parsed.Errors[0].Message}");
            return 2;
        }

        int[] sweep;
        try
        {
            sweep = [.. parsed.GetValue(efforts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => int.Parse(e, CultureInfo.InvariantCulture))];
        }
        catch (FormatException)
        {
            error.WriteLine("usearch: --ef takes a comma-separated list of integers.");
            return 2;
        }
        if (sweep.Length == 0 || sweep.Any(e => e < 1) || parsed.GetValue(connectivity) < 2 || parsed.GetValue(expansionAdd) < 1 || parsed.GetValue(threads) < 1 || parsed.GetValue(maxQueries) < 0)
        {
            error.WriteLine("usearch: --ef values and --ef-construction must be at least 1, --m at least 2, --build-threads at least 1, --max-queries at least 0.");
            return 2;
        }

        var settings = new USearchSettings(parsed.GetValue(basePath)!, parsed.GetValue(queries)!, parsed.GetValue(truth), sweep,
            parsed.GetValue(connectivity), parsed.GetValue(expansionAdd), parsed.GetValue(threads), parsed.GetValue(maxQueries), BesideBitSieve: parsed.GetValue(beside));
        var report = USearchPeer.Run(settings, error);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| method | ef | recall@{settings.K} | QPS (1 thread, one query per call) | queries per CPU second |"));
        output.WriteLine("|---|---|---|---|---|");
        foreach (var point in report.Sweep)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| usearch f32 ip (M {settings.Connectivity}, efC {settings.ExpansionAdd}) | {point.Ef} | {point.Recall:F4} | {point.Qps:F1} | {point.QpsCpu:F1} |"));
        if (report.BitSieve is { } bitsieve)
        {
            foreach (var point in bitsieve.Sweep)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bitsieve graph (R 32, L 64) | {point.Ef} | {point.Recall:F4} | {point.Qps:F1} | {point.QpsCpu:F1} |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bitsieve flat cascade q=0.995 | – | {bitsieve.Flat.Recall:F4} | {bitsieve.Flat.Qps:F1} | {bitsieve.Flat.QpsCpu:F1} |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bitsieve graph build {bitsieve.BuildSeconds:F1} s on {settings.BuildThreads} threads ({report.Points / bitsieve.BuildSeconds:F0} points/s, {bitsieve.BuildCpuSeconds:F1} CPU s)"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"usearch build {report.BuildSeconds:F1} s on {settings.BuildThreads} threads ({report.Points / report.BuildSeconds:F0} points/s, {report.BuildCpuSeconds:F1} CPU s), {report.MemoryBytes / (double)report.Points:F0} B/vector (usearch_memory_usage), {report.Queries} queries"));
        if (parsed.GetValue(json) is { } jsonPath)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
        return 0;
    }
}
