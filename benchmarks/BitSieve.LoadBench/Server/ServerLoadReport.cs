using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BitSieve.LoadBench.Server;

/// <summary>One sample of the sustained run: the server's memory and the requests completed so far.</summary>
/// <param name="Seconds">Seconds since the sustained run started.</param>
/// <param name="Requests">Requests completed since it started.</param>
/// <param name="Errors">Failed requests since it started.</param>
/// <param name="Memory">The server process's resident memory.</param>
internal sealed record MemorySample(double Seconds, long Requests, long Errors, ProcessMemory Memory);

/// <summary>
/// Whether the server's resident memory grew over the sustained run: the mean VmRSS of the last window against the
/// mean of the window after the first (the first window is the run's own warm-up: heap sizing, pages of the originals
/// touched for the first time). The window is a minute, or a third of a shorter run.
/// </summary>
/// <param name="WindowSeconds">Length of each window.</param>
/// <param name="BaselineBytes">Mean VmRSS of the samples in (w, 2w].</param>
/// <param name="FinalBytes">Mean VmRSS of the samples in (T − w, T].</param>
/// <param name="SlopeBytesPerMinute">Least-squares slope of VmRSS over the samples after the first window.</param>
/// <param name="Judged">Whether the run was long enough (three whole minutes) to call memory stable or not.</param>
internal sealed record MemoryGrowth(double WindowSeconds, double BaselineBytes, double FinalBytes, double SlopeBytesPerMinute, bool Judged)
{
    /// <summary>The bound, fixed before any run: memory is stable when the final mean exceeds the baseline mean by at most this many percent.</summary>
    public const double BoundPercent = 5.0;

    /// <summary>The shortest sustained run whose memory is judged (a warm-up minute, a baseline minute, a final minute).</summary>
    public static readonly TimeSpan ShortestJudged = TimeSpan.FromMinutes(3);

    /// <summary>Final minus baseline mean, in bytes (negative when memory shrank).</summary>
    public double GrowthBytes => FinalBytes - BaselineBytes;

    /// <summary>Growth as a percentage of the baseline mean.</summary>
    public double GrowthPercent => BaselineBytes > 0 ? 100.0 * GrowthBytes / BaselineBytes : double.NaN;

    /// <summary>Judged, and the growth within <see cref="BoundPercent"/>.</summary>
    public bool Stable => Judged && GrowthPercent <= BoundPercent;

    /// <summary>Computes the growth of a sustained run of <paramref name="soak"/> from its samples.</summary>
    public static MemoryGrowth From(IReadOnlyList<MemorySample> samples, TimeSpan soak)
    {
        ArgumentNullException.ThrowIfNull(samples);
        double total = soak.TotalSeconds;
        double window = Math.Min(60.0, total / 3);
        // A small tolerance: a sample due at exactly 2w may land a few milliseconds late.
        const double Slack = 0.5;
        double baseline = Mean(samples.Where(s => s.Seconds > window + Slack && s.Seconds <= 2 * window + Slack));
        double final = Mean(samples.Where(s => s.Seconds > total - window + Slack));
        var after = samples.Where(s => s.Seconds > window + Slack).ToList();
        double slope = double.NaN;
        if (after.Count >= 2)
        {
            double meanT = after.Average(s => s.Seconds), meanR = after.Average(s => (double)s.Memory.Rss);
            double sxx = after.Sum(s => (s.Seconds - meanT) * (s.Seconds - meanT));
            double sxy = after.Sum(s => (s.Seconds - meanT) * (s.Memory.Rss - meanR));
            if (sxx > 0) slope = sxy / sxx * 60;
        }
        bool judged = soak >= ShortestJudged && double.IsFinite(baseline) && double.IsFinite(final) && baseline > 0;
        return new MemoryGrowth(window, baseline, final, slope, judged);
    }

    private static double Mean(IEnumerable<MemorySample> samples)
    {
        var rss = samples.Select(s => (double)s.Memory.Rss).ToList();
        return rss.Count > 0 ? rss.Average() : double.NaN;
    }
}

/// <summary>Everything one <c>BitSieve.LoadBench server</c> run measured; writes the tables and the JSON line.</summary>
internal sealed record ServerLoadReport
{
    /// <summary>Points in the served collection.</summary>
    public required int Points { get; init; }

    /// <summary>Vector dimension.</summary>
    public required int Dimension { get; init; }

    /// <summary>Results per query.</summary>
    public required int Limit { get; init; }

    /// <summary>Distinct query vectors, cycled.</summary>
    public required int Queries { get; init; }

    /// <summary>Seconds to build the database (generation and durable import).</summary>
    public required double ImportSeconds { get; init; }

    /// <summary>The server process's id (it has been killed when the report is returned).</summary>
    public required int ServerProcessId { get; init; }

    /// <summary>Seconds from starting the server process to its listening line.</summary>
    public required double ServerStartSeconds { get; init; }

    /// <summary>The server's memory once listening, before any query.</summary>
    public required ProcessMemory MemoryAtStart { get; init; }

    /// <summary>The server's memory after the concurrency levels, before the sustained run.</summary>
    public required ProcessMemory MemoryAfterLevels { get; init; }

    /// <summary>The server's memory at the end.</summary>
    public required ProcessMemory MemoryAtEnd { get; init; }

    /// <summary>One measured run per concurrency level.</summary>
    public required IReadOnlyList<LoadResult> Levels { get; init; }

    /// <summary>The sustained run; null when it was skipped (<c>--soak-seconds 0</c>).</summary>
    public LoadResult? Soak { get; init; }

    /// <summary>The sustained run's memory samples (empty when skipped).</summary>
    public required IReadOnlyList<MemorySample> Samples { get; init; }

    /// <summary>Memory growth over the sustained run; null when it was skipped.</summary>
    public MemoryGrowth? Growth { get; init; }

    /// <summary>Failed requests over the whole run, warm-ups included.</summary>
    public required long Errors { get; init; }

    /// <summary>The first few failures.</summary>
    public required IReadOnlyList<string> FirstErrors { get; init; }

    /// <summary>Whether the server process was still running at the end.</summary>
    public required bool ServerAlive { get; init; }

    /// <summary><c>/proc/loadavg</c> before and after the run (other tenants share the machine); empty elsewhere.</summary>
    public required string LoadAverageBefore { get; init; }

    /// <summary><c>/proc/loadavg</c> after the run.</summary>
    public required string LoadAverageAfter { get; init; }

    /// <summary>No failed request, the server alive, and memory stable where the run was long enough to judge.</summary>
    public bool Passed => Errors == 0 && ServerAlive && (Growth is not { Judged: true } || Growth.Stable);

    /// <summary>Writes the human-readable tables.</summary>
    public void WriteTable(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"points={Points} dim={Dimension} metric=cosine limit={Limit} queries={Queries} (cycled); import {ImportSeconds:F1} s; server listening after {ServerStartSeconds:F1} s"));
        output.WriteLine(string.Create(c, $"load average before: {LoadAverageBefore}; after: {LoadAverageAfter}"));
        output.WriteLine(string.Create(c, $"server RSS at start {Mib(MemoryAtStart.Rss)} MiB, after the levels {Mib(MemoryAfterLevels.Rss)} MiB, at the end {Mib(MemoryAtEnd.Rss)} MiB (peak {Mib(MemoryAtEnd.Peak)} MiB)"));
        output.WriteLine();
        output.WriteLine("| concurrency | requests | seconds | QPS | p50 ms | p99 ms | max ms | errors |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        bool protocols = Levels.Any(level => level.Protocol != "rest");
        foreach (var level in Levels) WriteRow(output, protocols ? $"{level.Concurrency.ToString(c)} {level.Protocol}" : level.Concurrency.ToString(c), level);
        if (Soak is { } soak) WriteRow(output, string.Create(c, $"{soak.Concurrency} (sustained)"), soak);

        if (Samples.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("| t s | requests | QPS since last | errors | RSS MiB | anon MiB | file MiB |");
            output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            MemorySample? previous = null;
            foreach (var sample in Samples)
            {
                double qps = previous is null || sample.Seconds <= previous.Seconds ? 0 : (sample.Requests - previous.Requests) / (sample.Seconds - previous.Seconds);
                output.WriteLine(string.Create(c,
                    $"| {sample.Seconds:0.#} | {sample.Requests:N0} | {qps:F0} | {sample.Errors} | {Mib(sample.Memory.Rss)} | {Mib(sample.Memory.RssAnon)} | {Mib(sample.Memory.RssFile)} |"));
                previous = sample;
            }
        }

        if (Growth is { } g)
        {
            output.WriteLine();
            output.WriteLine(string.Create(c,
                $"memory: mean RSS {Mib(g.BaselineBytes)} MiB in ({g.WindowSeconds:0.#} s, {2 * g.WindowSeconds:0.#} s], {Mib(g.FinalBytes)} MiB in the last {g.WindowSeconds:0.#} s: growth {Mib(g.GrowthBytes)} MiB ({g.GrowthPercent:F1} %), slope {Mib(g.SlopeBytesPerMinute)} MiB/min"));
            output.WriteLine(g.Judged
                ? string.Create(c, $"memory {(g.Stable ? "stable" : "GREW")}: growth {(g.Stable ? "within" : "beyond")} the bound of {MemoryGrowth.BoundPercent:F0} % of the baseline")
                : string.Create(c, $"memory not judged: the sustained run is shorter than {MemoryGrowth.ShortestJudged.TotalSeconds:F0} s"));
        }

        output.WriteLine(Errors == 0 ? "errors: 0" : string.Create(c, $"errors: {Errors}; first: {string.Join(" | ", FirstErrors)}"));
        if (!ServerAlive) output.WriteLine("the server process exited during the run");
    }

    /// <summary>The report as one line of JSON.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("points", Points);
            json.WriteNumber("dim", Dimension);
            json.WriteNumber("limit", Limit);
            json.WriteNumber("queries", Queries);
            json.WriteNumber("import_s", Round(ImportSeconds, 2));
            json.WriteNumber("server_start_s", Round(ServerStartSeconds, 2));
            json.WriteString("loadavg_before", LoadAverageBefore);
            json.WriteString("loadavg_after", LoadAverageAfter);
            json.WriteNumber("rss_start_bytes", MemoryAtStart.Rss);
            json.WriteNumber("rss_after_levels_bytes", MemoryAfterLevels.Rss);
            json.WriteNumber("rss_end_bytes", MemoryAtEnd.Rss);
            json.WriteNumber("rss_peak_bytes", MemoryAtEnd.Peak);
            json.WriteStartArray("levels");
            foreach (var level in Levels) WriteLevel(json, level);
            json.WriteEndArray();
            json.WritePropertyName("soak");
            if (Soak is null)
            {
                json.WriteNullValue();
            }
            else
            {
                WriteLevel(json, Soak);
            }
            json.WriteStartArray("samples");
            foreach (var s in Samples)
            {
                json.WriteStartObject();
                json.WriteNumber("t_s", Round(s.Seconds, 2));
                json.WriteNumber("requests", s.Requests);
                json.WriteNumber("errors", s.Errors);
                json.WriteNumber("rss_bytes", s.Memory.Rss);
                json.WriteNumber("rss_anon_bytes", s.Memory.RssAnon);
                json.WriteNumber("rss_file_bytes", s.Memory.RssFile);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WritePropertyName("memory");
            if (Growth is not { } g)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteStartObject();
                json.WriteNumber("window_s", Round(g.WindowSeconds, 2));
                WriteNumberOrNull(json, "baseline_rss_bytes", Math.Round(g.BaselineBytes));
                WriteNumberOrNull(json, "final_rss_bytes", Math.Round(g.FinalBytes));
                WriteNumberOrNull(json, "growth_bytes", Math.Round(g.GrowthBytes));
                WriteNumberOrNull(json, "growth_percent", Math.Round(g.GrowthPercent, 2));
                WriteNumberOrNull(json, "slope_bytes_per_min", Math.Round(g.SlopeBytesPerMinute));
                json.WriteNumber("bound_percent", MemoryGrowth.BoundPercent);
                json.WriteBoolean("judged", g.Judged);
                json.WriteBoolean("stable", g.Stable);
                json.WriteEndObject();
            }
            json.WriteNumber("errors", Errors);
            json.WriteStartArray("first_errors");
            foreach (string e in FirstErrors) json.WriteStringValue(e);
            json.WriteEndArray();
            json.WriteBoolean("server_alive", ServerAlive);
            json.WriteBoolean("passed", Passed);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static void WriteRow(TextWriter output, string label, LoadResult r) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {r.Requests:N0} | {r.Seconds:F1} | {r.Qps:F1} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MaxMs:F1} | {r.Errors} |"));

    private static void WriteLevel(Utf8JsonWriter json, LoadResult r)
    {
        json.WriteStartObject();
        json.WriteNumber("concurrency", r.Concurrency);
        json.WriteString("protocol", r.Protocol);
        json.WriteNumber("requests", r.Requests);
        json.WriteNumber("validated", r.Validated);
        json.WriteNumber("errors", r.Errors);
        json.WriteNumber("seconds", Round(r.Seconds, 3));
        json.WriteNumber("qps", Round(r.Qps, 1));
        json.WriteNumber("p50_ms", Round(r.P50Ms, 3));
        json.WriteNumber("p99_ms", Round(r.P99Ms, 3));
        json.WriteNumber("max_ms", Round(r.MaxMs, 3));
        json.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    private static double Round(double value, int digits) => double.IsFinite(value) ? Math.Round(value, digits) : 0;

    private static string Mib(double bytes) => double.IsFinite(bytes) ? (bytes / (1 << 20)).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
}
