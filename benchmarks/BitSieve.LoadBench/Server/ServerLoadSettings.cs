using System.Globalization;

namespace BitSieve.LoadBench.Server;

/// <summary>The validated settings of one <c>BitSieve.LoadBench server</c> run.</summary>
internal sealed record ServerLoadSettings
{
    /// <summary>Base vectors (fvecs), grown to <see cref="Points"/> as <c>bench --scale-to</c> does (<see cref="ScaledBase"/>).</summary>
    public required string BasePath { get; init; }

    /// <summary>Query vectors (fvecs), sent in order and cycled.</summary>
    public required string QueriesPath { get; init; }

    /// <summary>Points in the served collection; point r has id r.</summary>
    public int Points { get; init; } = 100_000;

    /// <summary>The concurrency levels measured, in order: workers with one request in flight each.</summary>
    public IReadOnlyList<int> Concurrency { get; init; } = [1, 8, 64];

    /// <summary>Measured span of each level.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Unmeasured span before each level (and before the soak).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Length of the sustained run whose server memory is sampled.</summary>
    public TimeSpan Soak { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Workers of the sustained run.</summary>
    public int SoakConcurrency { get; init; } = 8;

    /// <summary>How often the sustained run samples the server's resident memory.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Results per query (<c>limit</c>).</summary>
    public int Limit { get; init; } = 10;

    /// <summary>Database directory (kept afterwards; the collection is rebuilt); null uses a temporary one, deleted afterwards.</summary>
    public string? Db { get; init; }

    /// <summary>Print one JSON object as the last line of stdout (the tables then go to stderr).</summary>
    public bool Json { get; init; }

    /// <summary>
    /// <see cref="ServerWorkload.Queries"/>: the concurrency levels, then the sustained run. <see cref="ServerWorkload.Updates"/>:
    /// for <see cref="Soak"/>, upserts replacing existing ids and deletes at <see cref="UpdateRate"/> while
    /// <see cref="SoakConcurrency"/> searchers query (<see cref="UpdateLoadRunner"/>).
    /// </summary>
    public ServerWorkload Workload { get; init; } = ServerWorkload.Queries;

    /// <summary>Points upserted per second by the update workload.</summary>
    public int UpdateRate { get; init; } = 1000;

    /// <summary>The protocol of the queries workload: REST, gRPC, or both side by side at each level (REST first).</summary>
    public ServerProtocol Protocol { get; init; } = ServerProtocol.Rest;

    /// <summary>Parses <c>--protocol</c>.</summary>
    public static ServerProtocol ParseProtocol(string? text) => text switch
    {
        "rest" => ServerProtocol.Rest,
        "grpc" => ServerProtocol.Grpc,
        "both" => ServerProtocol.Both,
        _ => throw new UsageException($"--protocol takes rest, grpc or both, not '{text}'."),
    };

    /// <summary>Points per upsert of the update workload (a tenth as many are deleted after each).</summary>
    public int UpdateBatch { get; init; } = 100;

    /// <summary>Parses <c>queries</c> or <c>updates</c>.</summary>
    public static ServerWorkload ParseWorkload(string? text) => text switch
    {
        "queries" => ServerWorkload.Queries,
        "updates" => ServerWorkload.Updates,
        _ => throw new UsageException($"--workload takes queries or updates, not '{text}'."),
    };

    /// <summary>Parses a comma-separated list of concurrency levels such as <c>1,8,64</c>.</summary>
    public static IReadOnlyList<int> ParseConcurrency(string? text)
    {
        var levels = new List<int>();
        foreach (string part in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int level) || level is < 1 or > 1024)
                throw new UsageException($"--concurrency takes levels in 1..1024 separated by commas (1,8,64), not '{text}'.");
            levels.Add(level);
        }
        if (levels.Count == 0) throw new UsageException("--concurrency needs at least one level (1,8,64).");
        return levels;
    }

    /// <summary>Checks values and that the input files exist; throws <see cref="UsageException"/> otherwise.</summary>
    public void Validate()
    {
        RequireFile("--base", BasePath);
        RequireFile("--queries", QueriesPath);
        if (Points < 1) throw new UsageException($"--points must be at least 1, not {Points}.");
        if (Limit < 1 || Limit > Points) throw new UsageException($"--limit must lie in 1..{Points} (the points), not {Limit}.");
        if (Concurrency.Count == 0 || Concurrency.Any(c => c is < 1 or > 1024)) throw new UsageException("--concurrency takes levels in 1..1024.");
        if (SoakConcurrency is < 1 or > 1024) throw new UsageException($"--soak-concurrency must lie in 1..1024, not {SoakConcurrency}.");
        RequireSeconds("--seconds", Duration, allowZero: false);
        RequireSeconds("--warmup-seconds", Warmup, allowZero: true);
        RequireSeconds("--soak-seconds", Soak, allowZero: true);
        RequireSeconds("--sample-seconds", SampleInterval, allowZero: false);
        if (Workload == ServerWorkload.Updates && Protocol != ServerProtocol.Rest)
            throw new UsageException("--protocol grpc and both apply to the queries workload; the updates workload is REST.");
        if (Workload == ServerWorkload.Updates)
        {
            if (Soak == TimeSpan.Zero) throw new UsageException("--workload updates runs for --soak-seconds, which must be more than 0.");
            if (UpdateRate is < 1 or > 1_000_000) throw new UsageException($"--update-rate must lie in 1..1000000 points/s, not {UpdateRate}.");
            if (UpdateBatch < 1 || UpdateBatch > Math.Min(Collection.MaxBatch, Points / 2))
                throw new UsageException($"--update-batch must lie in 1..{Math.Min(Collection.MaxBatch, Points / 2)} (half the points at most), not {UpdateBatch}.");
            if (Limit > Points - UpdateBatch) throw new UsageException($"--limit must stay below the points live while some are deleted ({Points - UpdateBatch}).");
        }
    }

    private static void RequireSeconds(string option, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > TimeSpan.FromDays(1))
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} must be {(allowZero ? "0 or more" : "more than 0")} seconds (at most a day), not {value.TotalSeconds}."));
    }

    private static void RequireFile(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file path.");
        if (!File.Exists(path)) throw new UsageException($"{option}: file '{path}' not found.");
    }
}

/// <summary>How the queries workload reaches the server.</summary>
internal enum ServerProtocol
{
    /// <summary>Qdrant's REST API (<c>POST …/points/query</c>).</summary>
    Rest,

    /// <summary>Qdrant's gRPC API (<c>qdrant.Points/Query</c>) through the official .NET client.</summary>
    Grpc,

    /// <summary>Both, one after the other at each concurrency level against the same server.</summary>
    Both,
}

/// <summary>What <c>BitSieve.LoadBench server</c> drives the server with.</summary>
internal enum ServerWorkload
{
    /// <summary>Queries only: the concurrency levels, then the sustained run.</summary>
    Queries,

    /// <summary>Upserts replacing existing ids and deletes, with searches beside them (<see cref="UpdateLoadRunner"/>).</summary>
    Updates,
}
