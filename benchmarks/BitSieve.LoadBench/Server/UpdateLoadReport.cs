using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BitSieve.LoadBench.Server;

/// <summary>The bytes of a collection's files by group, as <c>bitsieve info</c> groups them.</summary>
/// <param name="Index">Column files other than originals (codes, factors, ids, tombstones) and the manifest.</param>
/// <param name="Originals">Segments of float32 originals.</param>
/// <param name="PointsDb">The points database (SQLite) with its own log files.</param>
/// <param name="Wal">The write-ahead log.</param>
internal readonly record struct CollectionFiles(long Index, long Originals, long PointsDb, long Wal)
{
    /// <summary>All of them.</summary>
    public long Total => Index + Originals + PointsDb + Wal;

    /// <summary>Measures the files of the collection in <paramref name="directory"/> (files removed meanwhile count as empty).</summary>
    public static CollectionFiles Measure(string directory)
    {
        long index = 0, originals = 0, points = 0, wal = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            long length;
            try
            {
                length = file.Length;
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            if (file.Name.StartsWith("originals.", StringComparison.Ordinal)) originals += length;
            else if (file.Name.StartsWith("points.db", StringComparison.Ordinal)) points += length;
            else if (file.Name == "wal.log") wal += length;
            else if (file.Directory?.Name == "index") index += length;
        }
        return new CollectionFiles(index, originals, points, wal);
    }
}

/// <summary>One sample of the update workload.</summary>
/// <param name="Seconds">Seconds since the workload started.</param>
/// <param name="PointsWritten">Points upserted so far.</param>
/// <param name="Searches">Searches completed so far.</param>
/// <param name="Compactions">Background compactions seen so far (the one running included).</param>
/// <param name="Memory">The server process's resident memory.</param>
/// <param name="Files">The collection's files.</param>
internal sealed record UpdateSample(double Seconds, long PointsWritten, long Searches, int Compactions, ProcessMemory Memory, CollectionFiles Files);

/// <summary>What one update workload measured; writes the table and the JSON line.</summary>
internal sealed record UpdateLoadReport
{
    /// <summary>The level of memory and files that each sample is compared with: that of the first sample after the first minute (a third of a shorter run).</summary>
    public const double BaselineSeconds = 60;

    /// <summary>The bound, fixed before any run: every later sample stays within this multiple of the baseline.</summary>
    public const double Bound = 1.5;

    /// <summary>Points in the served collection.</summary>
    public required int Points { get; init; }

    /// <summary>Vector dimension.</summary>
    public required int Dimension { get; init; }

    /// <summary>Measured seconds.</summary>
    public required double Seconds { get; init; }

    /// <summary>All measured searches.</summary>
    public required LoadResult Searches { get; init; }

    /// <summary>p99 latency of searches that overlapped a background compaction, in milliseconds.</summary>
    public required double SearchP99DuringMs { get; init; }

    /// <summary>Searches that overlapped a background compaction.</summary>
    public required int SearchesDuring { get; init; }

    /// <summary>p99 latency of the other searches, in milliseconds.</summary>
    public required double SearchP99OutsideMs { get; init; }

    /// <summary>Searches outside every background compaction.</summary>
    public required int SearchesOutside { get; init; }

    /// <summary>Background compactions seen.</summary>
    public required int Compactions { get; init; }

    /// <summary>Seconds the collection was seen compacting.</summary>
    public required double CompactingSeconds { get; init; }

    /// <summary>Points upserted (each replaced an existing id or brought back a deleted one).</summary>
    public required long PointsWritten { get; init; }

    /// <summary>Points deleted.</summary>
    public required long PointsDeleted { get; init; }

    /// <summary>Failed upserts and deletes.</summary>
    public required long UpdateErrors { get; init; }

    /// <summary>The samples, every <c>--sample-seconds</c>.</summary>
    public required IReadOnlyList<UpdateSample> Samples { get; init; }

    /// <summary>Failed searches.</summary>
    public required long Errors { get; init; }

    /// <summary>The first few failures.</summary>
    public required IReadOnlyList<string> FirstErrors { get; init; }

    /// <summary>Whether the server process was still running at the end.</summary>
    public required bool ServerAlive { get; init; }

    /// <summary><c>/proc/loadavg</c> before the run (other tenants share the machine).</summary>
    public required string LoadAverageBefore { get; init; }

    /// <summary><c>/proc/loadavg</c> after the run.</summary>
    public required string LoadAverageAfter { get; init; }

    /// <summary>The sample the others are compared with, or null when there is none after the baseline time.</summary>
    public UpdateSample? Baseline
    {
        get
        {
            double at = Math.Min(BaselineSeconds, Seconds / 3);
            return Samples.FirstOrDefault(s => s.Seconds >= at - 0.5);
        }
    }

    /// <summary>The largest ratio of a later sample's server RSS to the baseline's.</summary>
    public double MaxRssRatio => MaxRatio(s => s.Memory.Rss);

    /// <summary>The largest ratio of a later sample's total file bytes to the baseline's.</summary>
    public double MaxFilesRatio => MaxRatio(s => s.Files.Total);

    /// <summary>No failed request, the server alive, and memory and files within <see cref="Bound"/> of the baseline.</summary>
    public bool Passed => Errors == 0 && UpdateErrors == 0 && ServerAlive && MaxRssRatio <= Bound && MaxFilesRatio <= Bound;

    /// <summary>Writes the human-readable table.</summary>
    public void WriteTable(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        var baseline = Baseline;
        output.WriteLine(string.Create(c, $"points={Points} dim={Dimension}; {Seconds:F0} s; {PointsWritten:N0} points upserted, {PointsDeleted:N0} deleted, {UpdateErrors} update errors; {Compactions} background compactions ({CompactingSeconds:F1} s in all)"));
        output.WriteLine(string.Create(c, $"load average before: {LoadAverageBefore}; after: {LoadAverageAfter}"));
        output.WriteLine(string.Create(c, $"searches: {Searches.Requests:N0} ({Searches.Qps:F1} QPS at concurrency {Searches.Concurrency}), p50 {Searches.P50Ms:F2} ms, p99 {Searches.P99Ms:F2} ms, {Errors} errors"));
        output.WriteLine(string.Create(c, $"p99 during background compaction {SearchP99DuringMs:F2} ms ({SearchesDuring:N0} searches), outside {SearchP99OutsideMs:F2} ms ({SearchesOutside:N0} searches)"));
        output.WriteLine();
        output.WriteLine("| t s | points written | compactions | RSS MiB | RSS / baseline | files MiB | files / baseline | index | originals | points.db | wal |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in Samples)
            output.WriteLine(string.Create(c,
                $"| {s.Seconds:F0} | {s.PointsWritten:N0} | {s.Compactions} | {Mib(s.Memory.Rss)} | {Ratio(s.Memory.Rss, baseline?.Memory.Rss)} | {Mib(s.Files.Total)} | {Ratio(s.Files.Total, baseline?.Files.Total)} | {Mib(s.Files.Index)} | {Mib(s.Files.Originals)} | {Mib(s.Files.PointsDb)} | {Mib(s.Files.Wal)} |"));
        output.WriteLine();
        output.WriteLine(string.Create(c,
            $"after t={baseline?.Seconds ?? double.NaN:F0} s: RSS at most {MaxRssRatio:F2}x, files at most {MaxFilesRatio:F2}x of that sample (bound {Bound}x): {(Passed ? "pass" : "FAIL")}"));
        foreach (string e in FirstErrors) output.WriteLine($"error: {e}");
    }

    /// <summary>One JSON object.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("workload", "updates");
            json.WriteNumber("points", Points);
            json.WriteNumber("dim", Dimension);
            json.WriteNumber("seconds", Math.Round(Seconds, 1));
            json.WriteNumber("points_written", PointsWritten);
            json.WriteNumber("points_deleted", PointsDeleted);
            json.WriteNumber("compactions", Compactions);
            json.WriteNumber("search_qps", Math.Round(Searches.Qps, 1));
            json.WriteNumber("search_p99_ms", Math.Round(Searches.P99Ms, 2));
            json.WriteNumber("search_p99_during_compaction_ms", Math.Round(SearchP99DuringMs, 2));
            json.WriteNumber("search_p99_outside_compaction_ms", Math.Round(SearchP99OutsideMs, 2));
            json.WriteNumber("max_rss_ratio", Math.Round(MaxRssRatio, 3));
            json.WriteNumber("max_files_ratio", Math.Round(MaxFilesRatio, 3));
            json.WriteNumber("errors", Errors + UpdateErrors);
            json.WriteString("loadavg_before", LoadAverageBefore);
            json.WriteString("loadavg_after", LoadAverageAfter);
            json.WriteBoolean("passed", Passed);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private double MaxRatio(Func<UpdateSample, long> value)
    {
        if (Baseline is not { } baseline || value(baseline) <= 0) return double.NaN;
        return Samples.Where(s => s.Seconds > baseline.Seconds).Select(s => (double)value(s) / value(baseline)).DefaultIfEmpty(1).Max();
    }

    private static string Ratio(long value, long? baseline) =>
        baseline is > 0 ? (value / (double)baseline).ToString("F2", CultureInfo.InvariantCulture) : "–";

    private static string Mib(long bytes) => ServerLoadRunner.Mib(bytes);
}
