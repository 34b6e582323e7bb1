using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BitSieve.LoadBench.Server;

namespace BitSieve.LoadBench.Cluster;

/// <summary>
/// <c>BitSieve.LoadBench cluster</c>: what sharding costs and saves on one machine. The same points (the base grown
/// as <c>bench --scale-to</c> grows it) are upserted through the Qdrant REST API into a single <c>bitsieve serve</c>,
/// then, for each silo count N, into a fresh cluster of a <c>redis-server</c> and N <c>bitsieve serve --cluster</c>
/// processes (a collection of <c>--shards</c> shards with replication 1, so the points are split over the silos, never
/// copied). For every process it reads the resident memory (VmRSS, from <c>/proc/PID/status</c>) idle, after the
/// upserts and after the searches, and through the first silo it measures search latency at concurrency 1 (Qdrant
/// query requests, default quality, every answer checked). Prints a table per measure, the ratios to the single node,
/// and optionally one JSON line.
/// </summary>
internal static class ClusterCommand
{
    private const string Prefix = Program.Name + " cluster";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var basePath = new Option<string>("--base") { Description = "Base vectors (fvecs) to grow from; row r becomes point id r.", Required = true, HelpName = "B.fvecs" };
        var queries = new Option<string>("--queries") { Description = "Query vectors (fvecs), sent in order and cycled.", Required = true, HelpName = "Q.fvecs" };
        var points = new Option<int>("--points") { Description = "Points upserted into each deployment (the base grown as bench --scale-to does).", DefaultValueFactory = _ => 20_000, HelpName = "N" };
        var silos = new Option<string>("--silos") { Description = "The cluster sizes measured, each a fresh cluster after the single node.", DefaultValueFactory = _ => "1,2,3", HelpName = "1,2,3" };
        var shards = new Option<int>("--shards") { Description = "shard_number of the cluster's collection (replication_factor 1); at least the largest silo count.", DefaultValueFactory = _ => 6, HelpName = "S" };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds of searches per deployment.", DefaultValueFactory = _ => 20, HelpName = "S" };
        var warmup = new Option<double>("--warmup-seconds") { Description = "Unmeasured seconds of searches before them.", DefaultValueFactory = _ => 5, HelpName = "S" };
        var limit = new Option<int>("--limit") { Description = "Results per query.", DefaultValueFactory = _ => 10, HelpName = "K" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line of stdout (the tables then go to stderr)." };
        var command = new Command("cluster", "Resident memory per process and search latency of a single node against clusters of 1, 2, 3 silos holding the same points, on loopback.")
        {
            basePath, queries, points, silos, shards, seconds, warmup, limit, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            ClusterLoadSettings settings;
            try
            {
                settings = new ClusterLoadSettings
                {
                    BasePath = parse.GetValue(basePath)!,
                    QueriesPath = parse.GetValue(queries)!,
                    Points = parse.GetValue(points),
                    Silos = ClusterLoadSettings.ParseSilos(parse.GetValue(silos)),
                    Shards = parse.GetValue(shards),
                    Duration = Seconds("--seconds", parse.GetValue(seconds), allowZero: false),
                    Warmup = Seconds("--warmup-seconds", parse.GetValue(warmup), allowZero: true),
                    Limit = parse.GetValue(limit),
                    Json = parse.GetValue(json),
                };
                settings.Validate();
            }
            catch (UsageException e)
            {
                error.WriteLine($"{Prefix}: error: {e.Message}");
                return ExitCodes.Usage;
            }
            var output = parse.InvocationConfiguration.Output;
            var (report, code) = await ServerCommand.RunAsync(Prefix, () => ClusterLoadRunner.RunAsync(settings, error, cancellationToken), error).ConfigureAwait(false);
            if (report is null) return code;
            report.WriteTable(settings.Json ? error : output);
            if (settings.Json) output.WriteLine(report.ToJson());
            output.Flush();
            if (report.Passed) return ExitCodes.Ok;
            error.WriteLine($"{Prefix}: failed: {report.Deployments.Sum(d => d.Search.Errors)} searches failed{(report.Deployments.All(d => d.Alive) ? "" : " and a server process exited")}");
            return ExitCodes.Failure;
        });
        return command;
    }

    private static TimeSpan Seconds(string option, double value, bool allowZero) =>
        double.IsFinite(value) && value <= 86_400 && (value > 0 || (allowZero && value == 0))
            ? TimeSpan.FromSeconds(value)
            : throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} must be {(allowZero ? "0 or more" : "more than 0")} seconds (at most a day), not {value}."));
}

/// <summary>The validated settings of one <c>BitSieve.LoadBench cluster</c> run.</summary>
internal sealed record ClusterLoadSettings
{
    /// <summary>Base vectors (fvecs), grown to <see cref="Points"/> as <c>bench --scale-to</c> does (<see cref="ScaledBase"/>).</summary>
    public required string BasePath { get; init; }

    /// <summary>Query vectors (fvecs), sent in order and cycled.</summary>
    public required string QueriesPath { get; init; }

    /// <summary>Points upserted into each deployment; point r has id r.</summary>
    public int Points { get; init; } = 20_000;

    /// <summary>The cluster sizes measured, in order, after the single node.</summary>
    public IReadOnlyList<int> Silos { get; init; } = [1, 2, 3];

    /// <summary>shard_number of the cluster's collection (replication_factor 1).</summary>
    public int Shards { get; init; } = 6;

    /// <summary>Measured span of searches per deployment.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Unmeasured span of searches before it.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Results per query (<c>limit</c>).</summary>
    public int Limit { get; init; } = 10;

    /// <summary>Print one JSON object as the last line of stdout (the tables then go to stderr).</summary>
    public bool Json { get; init; }

    /// <summary>Parses a comma-separated list of silo counts such as <c>1,2,3</c>.</summary>
    public static IReadOnlyList<int> ParseSilos(string? text)
    {
        var counts = new List<int>();
        foreach (string part in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count is < 1 or > 16)
                throw new UsageException($"--silos takes counts in 1..16 separated by commas (1,2,3), not '{text}'.");
            counts.Add(count);
        }
        if (counts.Count == 0) throw new UsageException("--silos needs at least one count (1,2,3).");
        return counts;
    }

    /// <summary>Checks values and that the input files exist; throws <see cref="UsageException"/> otherwise.</summary>
    public void Validate()
    {
        foreach (var (option, path) in new[] { ("--base", BasePath), ("--queries", QueriesPath) })
        {
            if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file path.");
            if (!File.Exists(path)) throw new UsageException($"{option}: file '{path}' not found.");
        }
        if (Points < 1) throw new UsageException($"--points must be at least 1, not {Points}.");
        if (Limit < 1 || Limit > Points) throw new UsageException($"--limit must lie in 1..{Points} (the points), not {Limit}.");
        if (Silos.Count == 0 || Silos.Any(n => n is < 1 or > 16)) throw new UsageException("--silos takes counts in 1..16.");
        if (Shards < Silos.Max() || Shards > 1024)
            throw new UsageException($"--shards must lie in {Silos.Max()}..1024 (at least the largest silo count, so that every silo holds a shard), not {Shards}.");
        if (Duration <= TimeSpan.Zero || Warmup < TimeSpan.Zero) throw new UsageException("--seconds must be more than 0 and --warmup-seconds 0 or more.");
    }
}

/// <summary>Starts each deployment in turn, fills it through its REST API, reads its processes' memory and measures its searches.</summary>
internal static class ClusterLoadRunner
{
    /// <summary>The collection the run creates in every deployment.</summary>
    public const string CollectionName = "bench";

    private const int UpsertBatch = 1000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs the single node, then each cluster; progress goes to <paramref name="log"/>. Every process is killed before this returns or throws.</summary>
    public static async Task<ClusterLoadReport> RunAsync(ClusterLoadSettings settings, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Validate();
        var baseVectors = VecsFile.ReadFvecs(settings.BasePath);
        var queries = VecsFile.ReadFvecs(settings.QueriesPath);
        if (queries.Dimension != baseVectors.Dimension) throw new UsageException($"--queries has dimension {queries.Dimension}, --base {baseVectors.Dimension}.");
        if (baseVectors.Rows == 0 || queries.Rows == 0) throw new UsageException("--base and --queries must hold at least one vector each.");
        var vectors = Grow(baseVectors, settings.Points);

        string loadBefore = ServerLoadRunner.LoadAverage();
        string work = Path.Combine(Path.GetTempPath(), "bitsieve-bench-cluster-" + Guid.NewGuid().ToString("N"));
        try
        {
            var deployments = new List<Deployment>();
            using (var single = await ServerProcess.StartAsync(Path.Combine(work, "single"), StartTimeout, cancellationToken).ConfigureAwait(false))
            {
                log.WriteLine($"single node: pid {single.ProcessId} on {single.Address}");
                deployments.Add(await MeasureAsync("single node", 0, [single], null, vectors, baseVectors.Rows, queries, settings, log, cancellationToken).ConfigureAwait(false));
            }
            foreach (int count in settings.Silos)
                deployments.Add(await MeasureClusterAsync(count, Path.Combine(work, $"cluster{count}"), vectors, baseVectors.Rows, queries, settings, log, cancellationToken).ConfigureAwait(false));
            return new ClusterLoadReport
            {
                Points = settings.Points,
                Dimension = baseVectors.Dimension,
                Limit = settings.Limit,
                Shards = settings.Shards,
                Deployments = deployments,
                LoadAverageBefore = loadBefore,
                LoadAverageAfter = ServerLoadRunner.LoadAverage(),
            };
        }
        finally
        {
            ServerLoadRunner.TryDelete(work);
        }
    }

    /// <summary>The base grown to <paramref name="points"/> rows: the base itself, then <see cref="ScaledBase"/>'s rows, as <c>bench --scale-to</c> grows it.</summary>
    private static VecsMatrix<float> Grow(VecsMatrix<float> baseVectors, int points)
    {
        int dim = baseVectors.Dimension, copied = Math.Min(points, baseVectors.Rows);
        var data = new float[(long)points * dim];
        baseVectors.Data.AsSpan(0, copied * dim).CopyTo(data);
        if (points > copied) new ScaledBase(baseVectors.Data, baseVectors.Rows, dim).Generate(data.AsSpan(copied * dim));
        return new VecsMatrix<float>(data, points, dim);
    }

    private static async Task<Deployment> MeasureClusterAsync(int count, string folder, VecsMatrix<float> vectors, int baseRows, VecsMatrix<float> queries,
        ClusterLoadSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        using var redis = await RedisProcess.StartAsync(cancellationToken).ConfigureAwait(false);
        var silos = new List<ServerProcess>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                silos.Add(await ServerProcess.StartSiloAsync(Path.Combine(folder, $"silo{i}"), redis.Url, FreePort(), FreePort(), StartTimeout, cancellationToken)
                    .ConfigureAwait(false));
            }
            var peers = new List<string>();
            foreach (var silo in silos)
            {
                using var http = Client(silo.Address);
                await WaitUntilAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false)).IsSuccessStatusCode,
                    silo, "to be an active member of the cluster", cancellationToken).ConfigureAwait(false);
                await WaitUntilAsync(async () => ActivePeers(await SendAsync(http, HttpMethod.Get, "/cluster", null, cancellationToken).ConfigureAwait(false)) == count,
                    silo, $"to see {count} active silos", cancellationToken).ConfigureAwait(false);
                peers.Add((await SendAsync(http, HttpMethod.Get, "/cluster", null, cancellationToken).ConfigureAwait(false)).GetProperty("result").GetProperty("peer_id").GetString()!);
            }
            log.WriteLine($"cluster of {count}: redis-server on {redis.Url}, silos {string.Join(", ", silos.Select(s => $"pid {s.ProcessId} on {s.Address}"))}");
            return await MeasureAsync($"cluster, {count} silo{(count == 1 ? "" : "s")}", count, silos, peers, vectors, baseRows, queries, settings, log, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var silo in silos) silo.Dispose();
        }
    }

    /// <summary>
    /// Memory idle, the collection created and filled through the first process (checked by an exact count), memory,
    /// the searches through the first process, memory. <paramref name="peers"/> are the silos' peer ids (null: a single node).
    /// </summary>
    private static async Task<Deployment> MeasureAsync(string name, int silos, IReadOnlyList<ServerProcess> processes, IReadOnlyList<string>? peers,
        VecsMatrix<float> vectors, int baseRows, VecsMatrix<float> queries, ClusterLoadSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var idle = processes.Select(p => p.Memory()).ToList();
        var entry = processes[0];
        using var http = Client(entry.Address);
        await SendAsync(http, HttpMethod.Put, $"/collections/{CollectionName}", CreateBody(vectors.Dimension, peers is null ? null : settings.Shards), cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < vectors.Rows; first += UpsertBatch)
        {
            await SendAsync(http, HttpMethod.Put, $"/collections/{CollectionName}/points?wait=true",
                UpsertBody(vectors, first, Math.Min(UpsertBatch, vectors.Rows - first), baseRows), cancellationToken).ConfigureAwait(false);
        }
        double upsertSeconds = clock.Elapsed.TotalSeconds;
        long counted = (await SendAsync(http, HttpMethod.Post, $"/collections/{CollectionName}/points/count", "{\"exact\":true}"u8.ToArray(), cancellationToken).ConfigureAwait(false))
            .GetProperty("result").GetProperty("count").GetInt64();
        if (counted != vectors.Rows) throw new InvalidOperationException($"{name}: {counted} points counted after upserting {vectors.Rows}");
        var held = peers is null ? [(long)vectors.Rows] : await PointsPerSiloAsync(http, peers, cancellationToken).ConfigureAwait(false);
        var loaded = processes.Select(p => p.Memory()).ToList();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {vectors.Rows:N0} points upserted in {upsertSeconds:F1} s (held {string.Join(" + ", held)}); RSS {string.Join(", ", loaded.Select(m => ServerLoadRunner.Mib(m.Rss)))} MiB"));

        using var load = new QueryLoad(entry.Address, CollectionName, queries, settings.Limit, vectors.Rows, maxConcurrency: 1);
        if (settings.Warmup > TimeSpan.Zero) await load.RunAsync(1, settings.Warmup, cancellationToken).ConfigureAwait(false);
        var search = await load.RunAsync(1, settings.Duration, cancellationToken).ConfigureAwait(false);
        var searched = processes.Select(p => p.Memory()).ToList();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {search.Qps:F1} QPS, p50 {search.P50Ms:F2} ms, p99 {search.P99Ms:F2} ms, {search.Errors} errors; RSS {string.Join(", ", searched.Select(m => ServerLoadRunner.Mib(m.Rss)))} MiB"));
        return new Deployment
        {
            Name = name,
            Silos = silos,
            UpsertSeconds = upsertSeconds,
            Processes = [.. processes.Select((p, i) => new ProcessReport(p.ProcessId, held[i], idle[i], loaded[i], searched[i]))],
            Search = search,
            FirstErrors = load.FirstErrors,
            Alive = processes.All(p => !p.HasExited),
        };
    }

    /// <summary>The points each silo holds, from <c>GET /collections/{name}/cluster</c> (the replicas' counts, summed by silo).</summary>
    private static async Task<long[]> PointsPerSiloAsync(HttpClient http, IReadOnlyList<string> peers, CancellationToken cancellationToken)
    {
        var held = new long[peers.Count];
        var silos = peers.Select((peer, i) => (peer, i)).ToDictionary(x => x.peer, x => x.i, StringComparer.Ordinal);
        var layout = await SendAsync(http, HttpMethod.Get, $"/collections/{CollectionName}/cluster", null, cancellationToken).ConfigureAwait(false);
        foreach (var shard in layout.GetProperty("result").GetProperty("shards").EnumerateArray())
        {
            foreach (var replica in shard.GetProperty("replicas").EnumerateArray())
            {
                if (!silos.TryGetValue(replica.GetProperty("peer_id").GetString()!, out int silo)) throw new InvalidOperationException($"a replica lies on {replica.GetProperty("peer_id")}, which is none of the silos started");
                held[silo] += replica.GetProperty("points_count").GetInt64();
            }
        }
        return held;
    }

    private static int ActivePeers(JsonElement cluster) =>
        cluster.GetProperty("result").GetProperty("peers").EnumerateObject().Count(p => p.Value.GetProperty("state").GetString() == "Active");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, ServerProcess silo, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (silo.HasExited) throw new InvalidOperationException($"silo {silo.Address} exited before {what}: {silo.RecentOutput}");
            if (clock.Elapsed > StartTimeout)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"silo {silo.Address} did not come {what} within {StartTimeout.TotalSeconds:F0} s: {silo.RecentOutput}"));
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }
    }

    private static HttpClient Client(Uri address) => new() { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Sends a request; answers the JSON body of a 2xx answer, else throws <see cref="InvalidOperationException"/> naming the status and body.</summary>
    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path} on {http.BaseAddress}: {(int)response.StatusCode} {text}");
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException)
        {
            throw new InvalidOperationException($"{method} {path} on {http.BaseAddress}: {e.Message}", e);
        }
    }

    /// <summary><c>{"vectors":{"size":D,"distance":"Cosine"}}</c>, with <c>shard_number</c> and <c>replication_factor</c> 1 on a cluster.</summary>
    private static byte[] CreateBody(int dimension, int? shards) => Json(json =>
    {
        json.WriteStartObject("vectors");
        json.WriteNumber("size", dimension);
        json.WriteString("distance", "Cosine");
        json.WriteEndObject();
        if (shards is { } s)
        {
            json.WriteNumber("shard_number", s);
            json.WriteNumber("replication_factor", 1);
        }
    });

    /// <summary>Rows <paramref name="first"/> … as points: id r, the row's vector, payload <c>{"source":"doc-(r mod n0)","row":r}</c> (as the server benchmark's).</summary>
    private static byte[] UpsertBody(VecsMatrix<float> vectors, int first, int rows, int baseRows) => Json(json =>
    {
        json.WriteStartArray("points");
        for (int row = first; row < first + rows; row++)
        {
            json.WriteStartObject();
            json.WriteNumber("id", row);
            json.WriteStartArray("vector");
            foreach (float x in vectors.Row(row)) json.WriteNumberValue(x);
            json.WriteEndArray();
            json.WriteStartObject("payload");
            json.WriteString("source", string.Create(CultureInfo.InvariantCulture, $"doc-{row % baseRows}"));
            json.WriteNumber("row", row);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    });

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A <c>redis-server</c> child on a free loopback port, keeping nothing on disk: a cluster's membership store. Disposing kills it.</summary>
    private sealed class RedisProcess : IDisposable
    {
        private readonly Process _process;

        private RedisProcess(Process process, int port)
        {
            _process = process;
            Url = string.Create(CultureInfo.InvariantCulture, $"redis://127.0.0.1:{port}");
        }

        /// <summary>The URL the silos' <c>--cluster</c> takes.</summary>
        public string Url { get; }

        public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
        {
            int port = FreePort();
            var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
                start.ArgumentList.Add(argument);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"cannot start redis-server ({e.Message}): the cluster benchmark needs it on the PATH (Debian: apt-get install redis-server)", e);
            }
            var redis = new RedisProcess(process, port);
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                var clock = Stopwatch.StartNew();
                while (!CanConnect(port))
                {
                    if (process.HasExited) throw new InvalidOperationException($"redis-server exited ({process.ExitCode}) before listening on port {port}");
                    if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new InvalidOperationException($"redis-server did not listen on port {port} within 20 s");
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }
                return redis;
            }
            catch
            {
                redis.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // Already reaped.
            }
            _process.Dispose();
        }

        private static bool CanConnect(int port)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
}

/// <summary>One process of a deployment: the points it holds and its resident memory at the three moments.</summary>
/// <param name="ProcessId">Its process id.</param>
/// <param name="Points">Points it holds (a silo: the sum over the replicas placed on it).</param>
/// <param name="Idle">Before the collection was created (a silo: once the cluster lists every silo active).</param>
/// <param name="Loaded">After the upserts (and the exact count).</param>
/// <param name="Searched">After the measured searches.</param>
internal sealed record ProcessReport(int ProcessId, long Points, ProcessMemory Idle, ProcessMemory Loaded, ProcessMemory Searched)
{
    /// <summary>VmRSS after the searches less VmRSS idle: what the collection, and the first requests that served it (code compiled, buffers), added to the process.</summary>
    public long Growth => Searched.Rss - Idle.Rss;

    /// <summary>The anonymous part of <see cref="Growth"/> (RssAnon: heap and native allocations, where the in-RAM codes live).</summary>
    public long AnonGrowth => Searched.RssAnon - Idle.RssAnon;
}

/// <summary>What one deployment (a single node, or a cluster of N silos) measured.</summary>
internal sealed record Deployment
{
    /// <summary>"single node" or "cluster, N silos".</summary>
    public required string Name { get; init; }

    /// <summary>Silos of the cluster; 0 for the single node.</summary>
    public required int Silos { get; init; }

    /// <summary>Seconds to upsert every point through the first process's REST API, in batches of 1,000, each acknowledged.</summary>
    public required double UpsertSeconds { get; init; }

    /// <summary>Its processes, the one the requests went to first.</summary>
    public required IReadOnlyList<ProcessReport> Processes { get; init; }

    /// <summary>The measured searches, at concurrency 1, through the first process.</summary>
    public required LoadResult Search { get; init; }

    /// <summary>The first failed searches, one line each.</summary>
    public required IReadOnlyList<string> FirstErrors { get; init; }

    /// <summary>Whether every process was still running at the end.</summary>
    public required bool Alive { get; init; }
}

/// <summary>Everything one <c>BitSieve.LoadBench cluster</c> run measured; writes the tables and the JSON line.</summary>
internal sealed record ClusterLoadReport
{
    /// <summary>Points in every deployment.</summary>
    public required int Points { get; init; }

    /// <summary>Vector dimension.</summary>
    public required int Dimension { get; init; }

    /// <summary>Results per query.</summary>
    public required int Limit { get; init; }

    /// <summary>shard_number of the clusters' collection (replication 1).</summary>
    public required int Shards { get; init; }

    /// <summary>The single node first, then each cluster.</summary>
    public required IReadOnlyList<Deployment> Deployments { get; init; }

    /// <summary><c>/proc/loadavg</c> before and after the run.</summary>
    public required string LoadAverageBefore { get; init; }

    /// <inheritdoc cref="LoadAverageBefore"/>
    public required string LoadAverageAfter { get; init; }

    /// <summary>No search failed and every process lived to the end.</summary>
    public bool Passed => Deployments.All(d => d.Alive && d.Search.Errors == 0);

    private Deployment Single => Deployments[0];

    /// <summary>Writes the memory table (a row per process) and the search table (a row per deployment, with its ratios to the single node).</summary>
    public void WriteTable(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{Points:N0} points × {Dimension} (cosine) in each deployment; clusters: {Shards} shards, replication 1; load average {LoadAverageBefore} before, {LoadAverageAfter} after"));
        output.WriteLine();
        output.WriteLine("| deployment | process | points held | VmRSS idle MiB | after upserts MiB | after searches MiB | RssAnon MiB | RssFile MiB | growth over idle MiB | of it RssAnon MiB | growth × single |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var d in Deployments)
        {
            for (int i = 0; i < d.Processes.Count; i++)
            {
                var p = d.Processes[i];
                output.WriteLine(string.Create(c,
                    $"| {d.Name} | {(d.Silos == 0 ? "server" : $"silo {i + 1}")} | {p.Points:N0} | {Mib(p.Idle.Rss)} | {Mib(p.Loaded.Rss)} | {Mib(p.Searched.Rss)} | {Mib(p.Searched.RssAnon)} | {Mib(p.Searched.RssFile)} | {Mib(p.Growth)} | {Mib(p.AnonGrowth)} | {Ratio(p.Growth, Single.Processes[0].Growth)} |"));
            }
        }
        output.WriteLine();
        output.WriteLine("| deployment | upsert s | requests | QPS | p50 ms | p99 ms | max ms | errors | QPS × single | p50 × single | p99 × single |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var d in Deployments)
        {
            var r = d.Search;
            output.WriteLine(string.Create(c,
                $"| {d.Name} | {d.UpsertSeconds:F1} | {r.Requests:N0} | {r.Qps:F1} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MaxMs:F1} | {r.Errors} | {Ratio(r.Qps, Single.Search.Qps)} | {Ratio(r.P50Ms, Single.Search.P50Ms)} | {Ratio(r.P99Ms, Single.Search.P99Ms)} |"));
        }
        var errors = Deployments.SelectMany(d => d.FirstErrors).ToList();
        output.WriteLine(errors.Count == 0 ? "errors: 0" : $"errors: {Deployments.Sum(d => d.Search.Errors)}; first: {string.Join(" | ", errors.Take(5))}");
        if (!Deployments.All(d => d.Alive)) output.WriteLine("a server process exited during the run");
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
            json.WriteNumber("shards", Shards);
            json.WriteNumber("replication", 1);
            json.WriteString("loadavg_before", LoadAverageBefore);
            json.WriteString("loadavg_after", LoadAverageAfter);
            json.WriteStartArray("deployments");
            foreach (var d in Deployments)
            {
                json.WriteStartObject();
                json.WriteString("name", d.Name);
                json.WriteNumber("silos", d.Silos);
                json.WriteNumber("upsert_s", Math.Round(d.UpsertSeconds, 2));
                json.WriteStartArray("processes");
                foreach (var p in d.Processes)
                {
                    json.WriteStartObject();
                    json.WriteNumber("pid", p.ProcessId);
                    json.WriteNumber("points", p.Points);
                    json.WriteNumber("rss_idle_bytes", p.Idle.Rss);
                    json.WriteNumber("rss_anon_idle_bytes", p.Idle.RssAnon);
                    json.WriteNumber("rss_file_idle_bytes", p.Idle.RssFile);
                    json.WriteNumber("rss_loaded_bytes", p.Loaded.Rss);
                    json.WriteNumber("rss_searched_bytes", p.Searched.Rss);
                    json.WriteNumber("rss_anon_searched_bytes", p.Searched.RssAnon);
                    json.WriteNumber("rss_file_searched_bytes", p.Searched.RssFile);
                    json.WriteNumber("rss_peak_bytes", p.Searched.Peak);
                    json.WriteNumber("growth_bytes", p.Growth);
                    json.WriteNumber("anon_growth_bytes", p.AnonGrowth);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                var r = d.Search;
                json.WriteStartObject("search");
                json.WriteNumber("concurrency", r.Concurrency);
                json.WriteNumber("requests", r.Requests);
                json.WriteNumber("validated", r.Validated);
                json.WriteNumber("errors", r.Errors);
                json.WriteNumber("seconds", Math.Round(r.Seconds, 3));
                json.WriteNumber("qps", Math.Round(r.Qps, 1));
                json.WriteNumber("p50_ms", Math.Round(r.P50Ms, 3));
                json.WriteNumber("p99_ms", Math.Round(r.P99Ms, 3));
                json.WriteNumber("max_ms", Math.Round(r.MaxMs, 3));
                json.WriteEndObject();
                json.WriteNumber("qps_ratio", RatioValue(r.Qps, Single.Search.Qps));
                json.WriteNumber("p50_ratio", RatioValue(r.P50Ms, Single.Search.P50Ms));
                json.WriteNumber("p99_ratio", RatioValue(r.P99Ms, Single.Search.P99Ms));
                json.WriteBoolean("alive", d.Alive);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteBoolean("passed", Passed);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static string Mib(long bytes) => ServerLoadRunner.Mib(bytes);

    private static double RatioValue(double value, double baseline) => baseline > 0 && double.IsFinite(value / baseline) ? Math.Round(value / baseline, 3) : 0;

    private static string Ratio(double value, double baseline) =>
        baseline > 0 ? RatioValue(value, baseline).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
