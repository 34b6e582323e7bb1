using System.Globalization;

namespace BitSieve.Cli.Bench;

/// <summary>The validated settings of one <c>bitsieve bench</c> run.</summary>
internal sealed record BenchSettings
{
    /// <summary>The oversampling factors of the fixed baseline, each measured in every run.</summary>
    public static IReadOnlyList<int> FixedOversampling { get; } = [1, 2, 4, 8, 16, 32, 64];

    /// <summary>Base vectors (fvecs); row r becomes point id r.</summary>
    public required string BasePath { get; init; }

    /// <summary>Query vectors (fvecs).</summary>
    public required string QueriesPath { get; init; }

    /// <summary>Ground truth (ivecs, base ordinals best first); computed in the run when null.</summary>
    public string? TruthPath { get; init; }

    /// <summary>Results per query.</summary>
    public int K { get; init; } = 10;

    /// <summary>Threads per search call (single-query and batch alike).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Grow the base to this many vectors (see <see cref="ScaledBase"/>); null keeps the base as read.</summary>
    public int? ScaleTo { get; init; }

    /// <summary>The cascade's quality target.</summary>
    public Quality Quality { get; init; } = Quality.Default;

    /// <summary>Bits per dimension of the T1 + T2 code.</summary>
    public int Bits { get; init; } = 4;

    /// <summary>The collection's metric.</summary>
    public Metric Metric { get; init; } = Metric.Cosine;

    /// <summary>Where to write the cascade's top-k ordinals per query (ivecs), or null.</summary>
    public string? IdsOut { get; init; }

    /// <summary>Use only the first this many queries; null uses all.</summary>
    public int? MaxQueries { get; init; }

    /// <summary>Measure filtered search instead (<see cref="FilteredBenchRunner"/>).</summary>
    public bool Filtered { get; init; }

    /// <summary>The beam widths of the graph's sweep (<c>--index graph</c>).</summary>
    public static IReadOnlyList<int> GraphSweep { get; } = [16, 24, 32, 48, 64, 96, 128, 192, 256];

    /// <summary>The cascade's recall targets measured for <c>--plot</c> (one point each on the cascade's curve).</summary>
    public static IReadOnlyList<double> CascadeSweep { get; } = [0.9, 0.95, 0.98, 0.99, 0.995, 0.999];

    /// <summary><c>--plot FILE.png|svg</c>: also measure the cascade at each <see cref="CascadeSweep"/> target and draw recall against QPS.</summary>
    public string? PlotPath { get; init; }

    /// <summary>Allowed fractions at which filtered graph search is measured (<c>--filter-selectivity</c>); empty for none.</summary>
    public IReadOnlyList<double> FilterSelectivities { get; init; } = [];

    /// <summary>Parses <c>--filter-selectivity</c>: comma-separated fractions in (0, 1]; null or empty for none.</summary>
    public static IReadOnlyList<double> ParseSelectivities(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0 && value <= 1))
                throw new UsageException($"--filter-selectivity takes fractions in (0, 1] separated by commas, not '{part}'.");
            values.Add(value);
        }
        return values;
    }

    /// <summary>Also build a proximity graph over the collection and measure it (<c>--index graph</c>).</summary>
    public bool Graph { get; init; }

    /// <summary>Threads that build the graph (bulk insertion); searches use <see cref="Threads"/>.</summary>
    public int GraphBuildThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Parses <c>--index</c>: flat (the cascade only) or graph (the cascade and the graph).</summary>
    public static bool ParseIndex(string? text) => text?.ToUpperInvariant() switch
    {
        "FLAT" => false,
        "GRAPH" => true,
        _ => throw new UsageException($"--index must be flat or graph, not '{text}'."),
    };

    /// <summary>Print one JSON object as the last line of stdout instead of the table.</summary>
    public bool Json { get; init; }

    /// <summary>Parses the metric names of the command line: cosine, dot, l2.</summary>
    public static Metric ParseMetric(string? text) => text?.ToUpperInvariant() switch
    {
        "COSINE" => Metric.Cosine,
        "DOT" or "IP" => Metric.Dot,
        "L2" or "EUCLIDEAN" => Metric.Euclidean,
        _ => throw new UsageException($"--metric must be cosine, dot or l2, not '{text}'."),
    };

    /// <summary>The command-line name of a metric.</summary>
    public static string MetricName(Metric metric) => metric switch
    {
        Metric.Cosine => "cosine",
        Metric.Dot => "dot",
        Metric.Euclidean => "l2",
        _ => metric.ToString(),
    };

    /// <summary>Parses <c>exact</c> or a recall target in (0, 1).</summary>
    public static Quality ParseQuality(string? text)
    {
        try
        {
            return Quality.Parse(text ?? string.Empty);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--quality must be 'exact' or a recall target in (0, 1) such as 0.995, not '{text}'."), e);
        }
    }

    /// <summary>Checks values and that the input files exist; throws <see cref="UsageException"/> otherwise.</summary>
    public void Validate()
    {
        RequireFile("--base", BasePath);
        RequireFile("--queries", QueriesPath);
        if (TruthPath is not null) RequireFile("--truth", TruthPath);
        if (K is < 1 or > 100_000) throw new UsageException($"--k must lie in 1..100000, not {K}.");
        if (Threads is < 1 or > 1024) throw new UsageException($"--threads must lie in 1..1024, not {Threads}.");
        if (Bits is not (4 or 8)) throw new UsageException($"--bits must be 4 or 8, not {Bits}.");
        if (ScaleTo is < 1) throw new UsageException($"--scale-to must be a positive number of vectors, not {ScaleTo}.");
        if (GraphBuildThreads is < 1 or > 1024) throw new UsageException($"--graph-build-threads must lie in 1..1024, not {GraphBuildThreads}.");
        if (Graph && Filtered) throw new UsageException("--index graph measures filtered search with --filter-selectivity, not --filtered.");
        if (FilterSelectivities.Count > 0 && !Graph) throw new UsageException("--filter-selectivity needs --index graph.");
        if (MaxQueries is < 1) throw new UsageException($"--max-queries must be at least 1, not {MaxQueries}.");
        if (!Enum.IsDefined(Metric)) throw new UsageException($"Unknown metric {Metric}.");
        if (PlotPath is not null)
        {
            if (Filtered) throw new UsageException("--plot draws the unfiltered methods; it does not go with --filtered.");
            if (Plots.BenchPlot.FormatOf(PlotPath) is null)
                throw new UsageException($"--plot: '{PlotPath}' must end in .png or .svg.");
            string? directory = Path.GetDirectoryName(Path.GetFullPath(PlotPath));
            if (directory is not null && !Directory.Exists(directory))
                throw new UsageException($"--plot: directory '{directory}' does not exist.");
        }
        if (IdsOut is not null)
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(IdsOut));
            if (directory is not null && !Directory.Exists(directory))
                throw new UsageException($"--ids-out: directory '{directory}' does not exist.");
        }
    }

    private static void RequireFile(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file path.");
        if (!File.Exists(path)) throw new UsageException($"{option}: file '{path}' not found.");
    }
}
