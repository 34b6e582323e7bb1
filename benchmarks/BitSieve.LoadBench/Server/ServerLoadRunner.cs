using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace BitSieve.LoadBench.Server;

/// <summary>
/// Runs a bounded loopback load test: builds a collection of real embeddings grown to N points, serves it from a
/// separate <c>bitsieve serve</c> process, drives it with Qdrant query requests at each concurrency level, then
/// sustains a load while sampling the server's resident memory.
/// </summary>
internal static class ServerLoadRunner
{
    /// <summary>The collection the run creates and queries.</summary>
    public const string CollectionName = "bench";

    private const int ImportBatch = 1000;

    /// <summary>Runs the whole test; progress goes to <paramref name="log"/>. The server process is killed before this returns or throws.</summary>
    public static async Task<ServerLoadReport> RunAsync(ServerLoadSettings settings, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        var (baseVectors, queries) = ReadInputs(settings);

        string loadBefore = LoadAverage();
        string db = settings.Db ?? Path.Combine(Path.GetTempPath(), "bitsieve-bench-server-" + Guid.NewGuid().ToString("N"));
        try
        {
            var clock = Stopwatch.StartNew();
            Build(db, baseVectors, settings.Points, log, cancellationToken);
            double importSeconds = clock.Elapsed.TotalSeconds;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"built {settings.Points:N0} × {baseVectors.Dimension} points in {importSeconds:F1} s; starting the server"));

            clock.Restart();
            using var server = await ServerProcess.StartAsync(db, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            double startSeconds = clock.Elapsed.TotalSeconds;
            var atStart = server.Memory();
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"server pid {server.ProcessId} listening on {server.Address} after {startSeconds:F1} s; RSS {Mib(atStart.Rss)} MiB"));

            int maxConcurrency = settings.Concurrency.Append(settings.SoakConcurrency).Max();
            QueryLoad GrpcLoad() => new(new GrpcQueryTransport(server.GrpcAddress ?? throw new InvalidOperationException("the server printed no gRPC address"),
                CollectionName, queries), queries.Rows, settings.Limit, settings.Points);
            using var load = settings.Protocol == ServerProtocol.Grpc ? GrpcLoad()
                : new QueryLoad(server.Address, CollectionName, queries, settings.Limit, settings.Points, maxConcurrency);
            using var beside = settings.Protocol == ServerProtocol.Both ? GrpcLoad() : null;
            var levels = new List<LoadResult>();
            foreach (int concurrency in settings.Concurrency)
            {
                foreach (var run in beside is null ? [load] : new[] { load, beside })
                {
                    if (settings.Warmup > TimeSpan.Zero) await run.RunAsync(concurrency, settings.Warmup, cancellationToken).ConfigureAwait(false);
                    var level = await run.RunAsync(concurrency, settings.Duration, cancellationToken).ConfigureAwait(false);
                    levels.Add(level);
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{run.Protocol} concurrency {concurrency}: {level.Qps:F1} QPS, p50 {level.P50Ms:F2} ms, p99 {level.P99Ms:F2} ms, max {level.MaxMs:F1} ms, {level.Errors} errors"));
                }
            }
            var afterLevels = server.Memory();

            LoadResult? soak = null;
            var samples = new List<MemorySample>();
            MemoryGrowth? growth = null;
            if (settings.Soak > TimeSpan.Zero)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sustained run: {settings.Soak.TotalSeconds:0.#} s at concurrency {settings.SoakConcurrency}, server memory every {settings.SampleInterval.TotalSeconds:0.#} s"));
                if (settings.Warmup > TimeSpan.Zero) await load.RunAsync(settings.SoakConcurrency, settings.Warmup, cancellationToken).ConfigureAwait(false);
                using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var sampler = SampleAsync(server, load, settings.Soak, settings.SampleInterval, samples, log, stopSampling.Token);
                try
                {
                    soak = await load.RunAsync(settings.SoakConcurrency, settings.Soak, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await stopSampling.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    // After a whole run the sampler has taken its last sample (due at the run's end) and returned.
                    await sampler.ConfigureAwait(false);
                }
                growth = MemoryGrowth.From(samples, settings.Soak);
            }

            var atEnd = server.Memory();
            bool alive = !server.HasExited;
            if (!alive) log.WriteLine($"the server process exited: {server.RecentOutput}");
            return new ServerLoadReport
            {
                Points = settings.Points,
                Dimension = baseVectors.Dimension,
                Limit = settings.Limit,
                Queries = queries.Rows,
                ImportSeconds = importSeconds,
                ServerProcessId = server.ProcessId,
                ServerStartSeconds = startSeconds,
                MemoryAtStart = atStart,
                MemoryAfterLevels = afterLevels,
                MemoryAtEnd = atEnd,
                Levels = levels,
                Soak = soak,
                Samples = samples,
                Growth = growth,
                Errors = load.Errors + (beside?.Errors ?? 0),
                FirstErrors = [.. load.FirstErrors, .. beside?.FirstErrors ?? []],
                ServerAlive = alive,
                LoadAverageBefore = loadBefore,
                LoadAverageAfter = LoadAverage(),
            };
        }
        finally
        {
            if (settings.Db is null) TryDelete(db);
        }
    }

    /// <summary>Validates the settings and reads the base and query vectors.</summary>
    internal static (VecsMatrix<float> Base, VecsMatrix<float> Queries) ReadInputs(ServerLoadSettings settings)
    {
        settings.Validate();
        var baseVectors = VecsFile.ReadFvecs(settings.BasePath);
        var queries = VecsFile.ReadFvecs(settings.QueriesPath);
        if (queries.Dimension != baseVectors.Dimension)
            throw new UsageException($"--queries has dimension {queries.Dimension}, --base {baseVectors.Dimension}.");
        if (baseVectors.Rows == 0 || queries.Rows == 0) throw new UsageException("--base and --queries must hold at least one vector each.");
        return (baseVectors, queries);
    }

    /// <summary>
    /// Creates the collection (cosine, replacing one of the same name) and upserts the base grown to
    /// <paramref name="points"/> rows in durable batches: rows below the base's size are the base itself, the rest
    /// come from <see cref="ScaledBase"/>, exactly as <c>bench --scale-to</c> grows them. Payloads are small:
    /// <c>{"source":"doc-(r mod n0)","row":r}</c>.
    /// </summary>
    internal static void Build(string db, VecsMatrix<float> baseVectors, int points, TextWriter log, CancellationToken cancellationToken)
    {
        int dim = baseVectors.Dimension;
        using var database = Database.Open(db);
        if (database.CollectionExists(CollectionName)) database.DeleteCollection(CollectionName);
        var collection = database.CreateCollection(CollectionName, new CollectionOptions { Dimension = dim, Metric = Metric.Cosine });
        var generator = new ScaledBase(baseVectors.Data, baseVectors.Rows, dim);
        var lastReport = Stopwatch.StartNew();
        for (int first = 0; first < points; first += ImportBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(ImportBatch, points - first);
            var data = new float[rows * dim];
            var batch = new Point[rows];
            for (int r = 0; r < rows; r++)
            {
                int row = first + r;
                var destination = data.AsSpan(r * dim, dim);
                if (row < baseVectors.Rows) baseVectors.Row(row).CopyTo(destination);
                else generator.Generate(destination);
                var payload = new JsonObject { ["source"] = string.Create(CultureInfo.InvariantCulture, $"doc-{row % baseVectors.Rows}"), ["row"] = row };
                batch[r] = new Point(new PointId((ulong)row), data.AsMemory(r * dim, dim), payload);
            }
            collection.Upsert(batch);
            if (lastReport.Elapsed >= TimeSpan.FromSeconds(5))
            {
                lastReport.Restart();
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"imported {first + rows:N0} points"));
            }
        }
    }

    /// <summary>Samples the server's memory at t = 0, Δ, 2Δ, … up to the end of the sustained run.</summary>
    private static async Task SampleAsync(ServerProcess server, QueryLoad load, TimeSpan soak, TimeSpan interval, List<MemorySample> samples, TextWriter log,
        CancellationToken cancellationToken)
    {
        long requestsAtStart = load.Completed, errorsAtStart = load.Errors;
        var clock = Stopwatch.StartNew();
        int count = (int)Math.Floor(soak.TotalSeconds / interval.TotalSeconds + 1e-9);
        for (int i = 0; i <= count; i++)
        {
            var due = interval * i;
            if (due > clock.Elapsed)
            {
                try
                {
                    await Task.Delay(due - clock.Elapsed, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            var sample = new MemorySample(clock.Elapsed.TotalSeconds, load.Completed - requestsAtStart, load.Errors - errorsAtStart, server.Memory());
            samples.Add(sample);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"t={sample.Seconds,5:0.#} s  requests {sample.Requests,9:N0}  errors {sample.Errors}  RSS {Mib(sample.Memory.Rss)} MiB (anon {Mib(sample.Memory.RssAnon)}, file {Mib(sample.Memory.RssFile)})"));
        }
    }

    /// <summary>The first three fields of <c>/proc/loadavg</c> (1, 5 and 15 minutes); empty where there is none.</summary>
    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);
}
