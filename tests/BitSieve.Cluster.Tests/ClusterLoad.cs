using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// A write and search load on a cluster: per silo given, one writer upserting batches of new points (copies of fixture
/// rows under new ids; a failed batch is retried until acknowledged) and one searcher asking, for a random fixture row,
/// for every point with that row (an exact search filtered on the row), and checking that every point acknowledged
/// before the search began is in the answer. Errors and incomplete answers are counted apart before the cluster has
/// noticed a failure (<see cref="Noticed"/>) and listed after.
/// </summary>
internal sealed class ClusterLoad : IAsyncDisposable
{
    private const int Batch = 10;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly ConcurrentDictionary<int, ConcurrentBag<ulong>> _byRow = new();
    private volatile bool _noticed;
    private long _failedWrites;
    private long _searches;
    private long _earlyErrors;

    public ClusterLoad(IReadOnlyList<HttpClient> silos)
    {
        for (int w = 0; w < silos.Count; w++)
        {
            var http = silos[w];
            ulong firstId = (ulong)(w + 1) * 1_000_000;
            _tasks.Add(Task.Run(() => WriteAsync(http, firstId)));
            _tasks.Add(Task.Run(() => SearchAsync(http, seed: w)));
        }
    }

    /// <summary>Ids whose write was acknowledged.</summary>
    public ConcurrentBag<ulong> Acknowledged { get; } = [];

    /// <summary>Errors and incomplete answers after <see cref="Noticed"/>.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    public long FailedWrites => Interlocked.Read(ref _failedWrites);

    public long Searches => Interlocked.Read(ref _searches);

    /// <summary>Search errors and incomplete answers of searches that began before <see cref="Noticed"/>.</summary>
    public long EarlyErrors => Interlocked.Read(ref _earlyErrors);

    /// <summary>From now on, every search error or incomplete answer is a failure.</summary>
    public void Noticed() => _noticed = true;

    /// <summary>Waits until at least ten more writes are acknowledged and ten more searches answered.</summary>
    public Task WaitForProgressAsync(string what)
    {
        int writes = Acknowledged.Count;
        long searches = Searches;
        return ClusterData.WaitUntilAsync(() => Task.FromResult(Acknowledged.Count >= writes + 10 * Batch && Searches >= searches + 10), TimeSpan.FromSeconds(90), what);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }

    private async Task WriteAsync(HttpClient http, ulong firstId)
    {
        for (ulong id = firstId; !_stop.IsCancellationRequested; id += Batch)
        {
            var points = new JsonArray();
            for (ulong i = id; i < id + Batch; i++)
            {
                int row = (int)(i % MiniLmFixture.BaseRows);
                var payload = ClusterData.Payload(row);
                payload["copy"] = true;
                points.Add(new JsonObject { ["id"] = i, ["vector"] = new JsonArray(ClusterData.Row(MiniLmFixture.Base, row).Select(x => (JsonNode)x).ToArray()), ["payload"] = payload });
            }
            string body = new JsonObject { ["points"] = points }.ToJsonString();
            while (!_stop.IsCancellationRequested)
            {
                if (await SucceedsAsync(http, HttpMethod.Put, "/collections/docs/points", body) is null)
                {
                    for (ulong i = id; i < id + Batch; i++)
                    {
                        Acknowledged.Add(i);
                        _byRow.GetOrAdd((int)(i % MiniLmFixture.BaseRows), _ => []).Add(i);
                    }
                    break;
                }
                if (_stop.IsCancellationRequested) return; // cut short by the end of the load, not by the cluster
                Interlocked.Increment(ref _failedWrites);
                await Task.Delay(100);
            }
        }
    }

    private async Task SearchAsync(HttpClient http, int seed)
    {
        var random = new Random(seed);
        while (!_stop.IsCancellationRequested)
        {
            bool noticed = _noticed;
            int row = random.Next(MiniLmFixture.BaseRows);
            var expected = new HashSet<ulong>(_byRow.TryGetValue(row, out var copies) ? copies : []) { (ulong)row };
            var request = ClusterData.SearchBody(ClusterData.Row(MiniLmFixture.Base, row), 100, exact: true);
            request["filter"] = JsonNode.Parse($$$"""{"must":[{"key":"row","match":{"value":{{{row}}}}}]}""");
            string? failure;
            using (var response = await SendAsync(http, HttpMethod.Post, "/collections/docs/points/search", request.ToJsonString()))
            {
                if (_stop.IsCancellationRequested) return; // cut short by the end of the load, not by the cluster
                string text = response is null ? "" : await response.Content.ReadAsStringAsync();
                if (response is not { IsSuccessStatusCode: true }) failure = $"search: {(int?)response?.StatusCode} {text}";
                else
                {
                    var found = JsonNode.Parse(text)!["result"]!.AsArray().Select(h => h!["id"]!.GetValue<ulong>()).ToHashSet();
                    var missing = expected.Where(id => !found.Contains(id)).ToList();
                    failure = missing.Count == 0 ? null : $"search for row {row}: acknowledged point(s) {string.Join(", ", missing)} missing from {found.Count} hits";
                }
            }
            Interlocked.Increment(ref _searches);
            if (failure is null) continue;
            if (noticed) Errors.Enqueue(failure);
            else Interlocked.Increment(ref _earlyErrors);
        }
    }

    /// <summary>Sends a request; null when it succeeded, else what went wrong.</summary>
    private async Task<string?> SucceedsAsync(HttpClient http, HttpMethod method, string path, string body)
    {
        using var response = await SendAsync(http, method, path, body);
        return response is { IsSuccessStatusCode: true } ? null : $"{(int?)response?.StatusCode}";
    }

    /// <summary>The response, or null when the request did not get one (or the load was stopped).</summary>
    private async Task<HttpResponseMessage?> SendAsync(HttpClient http, HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        try
        {
            return await http.SendAsync(request, _stop.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
