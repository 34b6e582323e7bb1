using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BitSieve.LoadBench.Server;

/// <summary>
/// Drives a server with Qdrant queries from N workers back to back: REST's <c>POST /collections/{name}/points/query</c>
/// through one <see cref="HttpClient"/> with a connection per worker, or gRPC's <c>qdrant.Points/Query</c> through the
/// official <c>QdrantClient</c> (<see cref="GrpcQueryTransport"/>). The query vectors are cycled; every answer is
/// checked (<see cref="QueryResponseCheck"/>), and a request that fails, throws or answers wrongly is an error.
/// </summary>
internal sealed class QueryLoad : IDisposable
{
    private const int KeptErrors = 5;

    private readonly HttpClient? _client;
    private readonly Uri? _endpoint;
    private readonly byte[][] _bodies;
    private readonly GrpcQueryTransport? _grpc;
    private readonly int _limit;
    private readonly long _points;
    private readonly ConcurrentQueue<string> _firstErrors = new();
    private readonly Action<long, long>? _answered;
    private long _nextQuery = -1;
    private long _completed;
    private long _errors;

    /// <summary>Prepares the request bodies (<c>{"query":[…],"limit":L}</c>, one per query row) and the client.</summary>
    /// <param name="server">The server's base address.</param>
    /// <param name="collection">The collection to query.</param>
    /// <param name="queries">Query vectors, cycled in order.</param>
    /// <param name="limit">Results per query; every answer must hold exactly this many.</param>
    /// <param name="points">The collection holds ids 0 … points − 1; an answer with any other id is an error.</param>
    /// <param name="maxConcurrency">The most workers any run will use (connections per server).</param>
    /// <param name="answered">Called with the start timestamp and the latency (<see cref="Stopwatch"/> ticks) of each answered request; null for none.</param>
    public QueryLoad(Uri server, string collection, VecsMatrix<float> queries, int limit, long points, int maxConcurrency, Action<long, long>? answered = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queries.Rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConcurrency);
        _endpoint = new Uri(server, $"/collections/{Uri.EscapeDataString(collection)}/points/query");
        _limit = limit;
        _points = points;
        _answered = answered;
        _bodies = new byte[queries.Rows][];
        for (int i = 0; i < queries.Rows; i++) _bodies[i] = QueryBody(queries.Row(i), limit);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConcurrency,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Prepares gRPC queries (<c>qdrant.Points/Query</c>, <c>limit</c> results, no payload) through <paramref name="grpc"/>.</summary>
    public QueryLoad(GrpcQueryTransport grpc, int queries, int limit, long points)
    {
        ArgumentNullException.ThrowIfNull(grpc);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queries);
        _grpc = grpc;
        _bodies = new byte[queries][];
        _limit = limit;
        _points = points;
    }

    /// <summary>The protocol the queries are sent with: <c>rest</c> or <c>grpc</c>.</summary>
    public string Protocol => _grpc is null ? "rest" : "grpc";

    /// <summary>Requests completed so far over all runs (answered or failed).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Failed requests so far over all runs.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The first few failures, as one line each.</summary>
    public IReadOnlyList<string> FirstErrors => [.. _firstErrors];

    /// <summary>
    /// Runs <paramref name="concurrency"/> workers until <paramref name="duration"/> has passed (each finishes the
    /// request it is in); returns what the run measured.
    /// </summary>
    public async Task<LoadResult> RunAsync(int concurrency, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrency);
        long completedBefore = Completed, errorsBefore = Errors;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task<Worker>[concurrency];
        for (int w = 0; w < concurrency; w++) workers[w] = Task.Run(() => WorkAsync(deadline, cancellationToken), cancellationToken);
        var done = await Task.WhenAll(workers).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        long validated = done.Sum(w => w.Validated);
        var latencies = new long[done.Sum(w => w.Latencies.Count)];
        int n = 0;
        foreach (var worker in done)
        {
            worker.Latencies.CopyTo(latencies, n);
            n += worker.Latencies.Count;
        }
        Array.Sort(latencies);
        return new LoadResult(concurrency, Completed - completedBefore, Errors - errorsBefore, validated, seconds,
            Milliseconds(Percentile(latencies, 0.50)), Milliseconds(Percentile(latencies, 0.99)), Milliseconds(latencies.Length > 0 ? latencies[^1] : 0))
        {
            Protocol = Protocol,
        };
    }

    /// <summary>Nearest-rank percentile of sorted values: the smallest value with at least a fraction q of all values ≤ it (0 when empty).</summary>
    public static long Percentile(long[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0) return 0;
        int rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _client?.Dispose();
        _grpc?.Dispose();
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static byte[] QueryBody(ReadOnlySpan<float> vector, int limit)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("query");
            foreach (float x in vector) json.WriteNumberValue(x);
            json.WriteEndArray();
            json.WriteNumber("limit", limit);
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    private async Task<Worker> WorkAsync(long deadline, CancellationToken cancellationToken)
    {
        var worker = new Worker();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int row = (int)((ulong)Interlocked.Increment(ref _nextQuery) % (ulong)_bodies.Length);
            var body = _bodies[row];
            long start = Stopwatch.GetTimestamp();
            string? failure;
            try
            {
                if (_grpc is not null)
                {
                    var hits = await _grpc.QueryAsync(row, _limit, cancellationToken).ConfigureAwait(false);
                    long grpcLatency = Stopwatch.GetTimestamp() - start;
                    worker.Latencies.Add(grpcLatency);
                    _answered?.Invoke(start, grpcLatency);
                    failure = GrpcQueryTransport.Validate(hits, _limit, _points);
                    Count(worker, failure);
                    continue;
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await _client!.SendAsync(request, cancellationToken).ConfigureAwait(false);
                byte[] answer = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                long latency = Stopwatch.GetTimestamp() - start;
                worker.Latencies.Add(latency);
                _answered?.Invoke(start, latency);
                failure = response.IsSuccessStatusCode
                    ? QueryResponseCheck.Validate(answer, _limit, _points)
                    : string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}: {Truncate(Encoding.UTF8.GetString(answer))}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException or Grpc.Core.RpcException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }
            Count(worker, failure);
        }
        return worker;
    }

    private void Count(Worker worker, string? failure)
    {
        if (failure is null)
        {
            worker.Validated++;
        }
        else
        {
            Interlocked.Increment(ref _errors);
            if (_firstErrors.Count < KeptErrors) _firstErrors.Enqueue(failure);
        }
        Interlocked.Increment(ref _completed);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private sealed class Worker
    {
        public List<long> Latencies { get; } = new(4096);

        public long Validated { get; set; }
    }
}

/// <summary>What one run of <see cref="QueryLoad.RunAsync"/> measured.</summary>
/// <param name="Concurrency">Workers, each with one request in flight.</param>
/// <param name="Requests">Requests completed (answered or failed).</param>
/// <param name="Errors">Requests that failed: a transport error, a non-2xx status, or an answer that did not pass <see cref="QueryResponseCheck"/>.</param>
/// <param name="Validated">Answers that passed the check (<paramref name="Requests"/> − <paramref name="Errors"/> when all is well).</param>
/// <param name="Seconds">Wall-clock span of the run, from the first request to the last answer.</param>
/// <param name="P50Ms">Median latency of the requests that got an answer, in milliseconds.</param>
/// <param name="P99Ms">99th percentile latency (nearest rank), in milliseconds.</param>
/// <param name="MaxMs">Slowest request, in milliseconds.</param>
internal sealed record LoadResult(int Concurrency, long Requests, long Errors, long Validated, double Seconds, double P50Ms, double P99Ms, double MaxMs)
{
    /// <summary>The protocol of the queries: <c>rest</c> (default) or <c>grpc</c>.</summary>
    public string Protocol { get; init; } = "rest";

    /// <summary>Requests per second over the run.</summary>
    public double Qps => Seconds > 0 ? Requests / Seconds : 0;
}

/// <summary>Checks a Qdrant query answer: <c>status</c> "ok", exactly <c>limit</c> points, integer ids of the collection, no id twice, scores best first.</summary>
internal static class QueryResponseCheck
{
    /// <summary>Returns null when <paramref name="json"/> is a correct answer, else why it is not.</summary>
    /// <param name="json">The response body.</param>
    /// <param name="limit">The number of points the answer must hold.</param>
    /// <param name="points">Valid ids are 0 … points − 1.</param>
    public static string? Validate(ReadOnlyMemory<byte> json, int limit, long points)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "the answer is not a JSON object";
            if (!root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.String || status.GetString() != "ok")
                return "status is not \"ok\"";
            if (!root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object
                || !result.TryGetProperty("points", out var hits) || hits.ValueKind != JsonValueKind.Array)
                return "no result.points array";
            int count = hits.GetArrayLength();
            if (count != limit) return string.Create(CultureInfo.InvariantCulture, $"{count} points, expected {limit}");
            var seen = new HashSet<long>();
            double previous = double.PositiveInfinity;
            foreach (var hit in hits.EnumerateArray())
            {
                if (!hit.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out long value))
                    return "a point without an integer id";
                if (value < 0 || value >= points) return string.Create(CultureInfo.InvariantCulture, $"id {value} is not in the collection (0..{points - 1})");
                if (!seen.Add(value)) return string.Create(CultureInfo.InvariantCulture, $"id {value} twice");
                if (!hit.TryGetProperty("score", out var score) || score.ValueKind != JsonValueKind.Number) return "a point without a score";
                double s = score.GetDouble();
                if (s > previous) return "scores are not in descending order";
                previous = s;
            }
            return null;
        }
        catch (JsonException e)
        {
            return $"not JSON: {e.Message}";
        }
    }
}
