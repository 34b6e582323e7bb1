using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BitSieve.Cluster.Client;
using BitSieve.VectorData;
using Microsoft.Extensions.VectorData;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// A real cluster on this machine: a redis-server and three <c>bitsieve serve --cluster</c> processes started by each
/// test. Grown to scale, a collection of 6 shards × replication 2 written through one silo's HTTP API answers through
/// another's as a single node does (MultiProcessClusterTests.Scale.cs). Under a write and search load, one silo is killed
/// with SIGKILL: no acknowledged write is lost and, once the cluster has noticed, every search answers completely;
/// restarted, the silo's replicas catch up while the writes go on, and then serve alone when another silo is killed. A
/// .NET client connected through the cluster's Redis (<see cref="BitSieveCluster.ConnectAsync"/>) reports the lost shard
/// of a replication-1 collection as <see cref="ShardUnavailableException"/>, which the VectorData connector reports as
/// its <see cref="VectorStoreException"/>. A fourth silo joins under load and takes its share; a drained silo hands its
/// replicas over.
/// </summary>
public sealed partial class MultiProcessClusterTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<Process> _processes = [];
    private readonly List<Silo> _silos = [];
    private int _redisPort;

    /// <summary>
    /// The silos' <c>--catch-up-log</c>: the default for the kill test, so the returning replicas catch up by log replay;
    /// nothing for the rebalance test, so every replica it moves is copied by snapshot.
    /// </summary>
    private int _catchUpLog;

    public async Task InitializeAsync()
    {
        _redisPort = ClusterData.FreePort();
        Start("redis-server", ["--port", Text(_redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        await ClusterData.WaitUntilAsync(() => Task.FromResult(CanConnect(_redisPort)), TimeSpan.FromSeconds(20), "redis-server to listen");
    }

    /// <summary>Starts three silos, each with <paramref name="catchUpLog"/> as its <c>--catch-up-log</c>, and waits until all are active.</summary>
    private async Task StartClusterAsync(int catchUpLog)
    {
        _catchUpLog = catchUpLog;
        for (int i = 0; i < 3; i++)
        {
            var silo = new Silo(ClusterData.FreePort(), ClusterData.FreePort(), ClusterData.FreePort(), Path.Combine(_dir.Path, $"silo{i}"));
            _silos.Add(silo);
            StartSilo(silo);
        }
        foreach (var silo in _silos) await WaitReadyAsync(silo);
        await WaitActiveSilosAsync(3, "three active silos");
    }

    public Task DisposeAsync()
    {
        foreach (var silo in _silos) silo.Http.Dispose();
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_silo_killed_under_load_loses_no_acknowledged_write_and_its_replicas_catch_up_when_it_returns()
    {
        await StartClusterAsync(catchUpLog: 100_000);
        var (writer, reader, victim) = (_silos[0].Http, _silos[1].Http, _silos[2]);
        await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 6, replication: 2));
        await ClusterData.UpsertAsync(writer, "docs", MiniLmFixture.BaseRows);
        // A collection with one copy of each shard: 3 shards on 3 silos, so the victim holds one of them alone.
        await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/solo", ClusterData.CreateBody(shards: 3, replication: 1));
        await ClusterData.UpsertAsync(writer, "solo", 300);
        Assert.Equal(MiniLmFixture.BaseRows, await ClusterData.CountAsync(reader, "docs"));
        await using var client = await BitSieveCluster.ConnectAsync($"redis://127.0.0.1:{Text(_redisPort)}");

        // The load: a writer and a searcher through each of the two silos that stay up, until the end of the test.
        await using var load = new ClusterLoad([writer, reader]);
        await load.WaitForProgressAsync("the load to start");

        string victimId = (await ClusterData.SendAsync(victim.Http, HttpMethod.Get, "/cluster"))["result"]!["peer_id"]!.GetValue<string>();
        victim.Process!.Kill(entireProcessTree: true); // SIGKILL in the middle of the load: no goodbye to the cluster
        await victim.Process.WaitForExitAsync();
        var killed = Stopwatch.StartNew();
        // Before the cluster notices, a call whose grain directory entry lived on the killed silo can fail (a 503 naming the
        // shard, never fewer results): the bar is complete answers once the cluster has noticed.
        await WaitActiveSilosAsync(2, "the cluster to declare the killed silo dead");
        Console.WriteLine($"The cluster declared the killed silo {victimId} dead {killed.Elapsed.TotalSeconds:F1} s after SIGKILL.");
        load.Noticed();

        // Replication 1: the lost shard is an error that names it, never fewer results.
        var lost = await ClusterData.SendAsync(reader, HttpMethod.Post, "/collections/solo/points/search",
            ClusterData.SearchBody(ClusterData.Row(MiniLmFixture.Queries, 0), 10, exact: false), System.Net.HttpStatusCode.ServiceUnavailable);
        Assert.Matches("Shard [0-2] of collection `solo` has no live replica", lost["status"]!["error"]!.GetValue<string>());
        var solo = await client.GetCollectionAsync("solo");
        Assert.Matches("Shard [0-2] of collection `solo` has no live replica", (await Assert.ThrowsAsync<ShardUnavailableException>(() => solo.CountPointsAsync())).Message);
        var records = new BitSieveCollection<ulong, Row>(client, "solo");
        var failure = await Assert.ThrowsAsync<VectorStoreException>(async () => await records.SearchAsync(ClusterData.Row(MiniLmFixture.Queries, 0), 10).ToListAsync());
        Assert.IsType<ShardUnavailableException>(failure.InnerException);
        await load.WaitForProgressAsync("writes and searches after the kill");
        var shards = await ReplicaStatesAsync(reader);
        Assert.Contains(shards, replica => replica.Silo == victimId && replica.State == "Dead");

        // The victim returns with the same ports and data; its replicas catch up from the primaries' logs while writes go on.
        StartSilo(victim);
        var restarted = Stopwatch.StartNew();
        await WaitReadyAsync(victim);
        await ClusterData.WaitUntilAsync(async () => (await ReplicaStatesAsync(reader)).All(r => r.State == "Active"), TimeSpan.FromSeconds(90),
            "every replica of the restarted silo to catch up and be Active");
        Console.WriteLine($"The restarted silo's replicas were all Active {restarted.Elapsed.TotalSeconds:F1} s after it was started again.");
        await load.WaitForProgressAsync("writes and searches after the catch-up");
        await load.StopAsync();
        Console.WriteLine($"Load: {load.Acknowledged.Count} writes acknowledged, {load.FailedWrites} failed and retried; {load.Searches} searches, " +
            $"{load.EarlyErrors} failed before the cluster noticed the kill; errors after: {string.Join(" | ", load.Errors.Take(3))}");
        Assert.Empty(load.Errors);

        // Every acknowledged write is there, with its vector and payload, read through each silo.
        foreach (var silo in _silos) await AssertAcknowledgedAsync(silo.Http, load);

        // The restarted silo's replicas serve alone: with a second silo killed, every shard answers from them or the third silo.
        var second = _silos[1];
        string secondId = (await ClusterData.SendAsync(second.Http, HttpMethod.Get, "/cluster"))["result"]!["peer_id"]!.GetValue<string>();
        second.Process!.Kill(entireProcessTree: true);
        await second.Process.WaitForExitAsync();
        await WaitActiveSilosAsync(2, "the cluster to declare the second killed silo dead");
        foreach (var http in new[] { writer, victim.Http })
        {
            await ClusterData.WaitUntilAsync(async () => (await http.PostAsJsonAsync("/collections/docs/points/count", new { })).IsSuccessStatusCode,
                TimeSpan.FromSeconds(60), "counts to answer after the second kill");
            await AssertAcknowledgedAsync(http, load);
        }
        Assert.Contains(await ReplicaStatesAsync(writer), replica => replica.Silo == secondId && replica.State == "Dead");
    }

    [Fact]
    public async Task A_silo_that_joins_under_load_takes_its_share_and_a_drained_silo_hands_its_replicas_over_without_an_error()
    {
        await StartClusterAsync(catchUpLog: 0);
        var (first, second, third) = (_silos[0].Http, _silos[1].Http, _silos[2]);
        await ClusterData.SendAsync(first, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 6, replication: 2));
        await ClusterData.UpsertAsync(first, "docs", MiniLmFixture.BaseRows);
        await using var load = new ClusterLoad([first, second]);
        load.Noticed(); // no silo fails here: every error and every incomplete answer counts from the start
        await load.WaitForProgressAsync("the load to start");

        // A fourth silo joins while the load runs; a rebalance moves replicas onto it (copy, then switch).
        var fourth = new Silo(ClusterData.FreePort(), ClusterData.FreePort(), ClusterData.FreePort(), Path.Combine(_dir.Path, "silo3"));
        _silos.Add(fourth);
        StartSilo(fourth);
        await WaitReadyAsync(fourth);
        await WaitActiveSilosAsync(4, "four active silos");
        string fourthId = await PeerIdAsync(fourth.Http);
        var moved = (await ClusterData.SendAsync(first, HttpMethod.Post, "/cluster/rebalance"))["result"]!["moves"]!.AsArray();
        Console.WriteLine($"Rebalance onto the fourth silo: {ClusterData.Json(moved)}");
        Assert.All(moved, move => Assert.Equal("snapshot", move!["transfer"]!.GetValue<string>()));
        var states = await ReplicaStatesAsync(second);
        Assert.All(states, replica => Assert.Equal("Active", replica.State));
        Assert.All(states.GroupBy(r => r.Silo), silo => Assert.Equal(3, silo.Count())); // 12 replicas over 4 silos
        Assert.Equal(3, states.Count(r => r.Silo == fourthId));
        await load.WaitForProgressAsync("writes and searches after the rebalance");

        // The third silo is drained: its replicas move to the others, then it stops.
        string thirdId = await PeerIdAsync(third.Http);
        var drained = (await ClusterData.SendAsync(first, HttpMethod.Post, $"/cluster/silos/{thirdId}/drain"))["result"]!["moves"]!.AsArray();
        Console.WriteLine($"Drain of the third silo: {ClusterData.Json(drained)}");
        states = await ReplicaStatesAsync(second);
        Assert.DoesNotContain(states, replica => replica.Silo == thirdId);
        Assert.All(states, replica => Assert.Equal("Active", replica.State));
        await load.WaitForProgressAsync("writes and searches after the drain");
        // Drained, it stops (SIGTERM: it leaves the cluster) while the load goes on.
        using (var term = Process.Start("kill", ["-TERM", Text(third.Process!.Id)])) await term.WaitForExitAsync();
        await third.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await WaitActiveSilosAsync(3, "the drained silo to leave");
        await load.WaitForProgressAsync("writes and searches after the drained silo stopped");
        await load.StopAsync();
        Console.WriteLine($"Load: {load.Acknowledged.Count} writes acknowledged, {load.FailedWrites} failed; {load.Searches} searches; errors: {string.Join(" | ", load.Errors.Take(3))}");
        Assert.Empty(load.Errors);
        Assert.Equal(0, load.FailedWrites);
        foreach (var http in new[] { first, second, fourth.Http }) await AssertAcknowledgedAsync(http, load);
    }

    private static async Task<string> PeerIdAsync(HttpClient http) =>
        (await ClusterData.SendAsync(http, HttpMethod.Get, "/cluster"))["result"]!["peer_id"]!.GetValue<string>();

    /// <summary>
    /// Every write the load saw acknowledged is found through <paramref name="http"/> (a search whose filter names its ids),
    /// with the fixture row's vector and its payload; so are the fixture's own points.
    /// </summary>
    private static async Task AssertAcknowledgedAsync(HttpClient http, ClusterLoad load)
    {
        var ids = Enumerable.Range(0, MiniLmFixture.BaseRows).Select(i => (ulong)i).Concat(load.Acknowledged.Order()).ToList();
        Assert.True(await ClusterData.CountAsync(http, "docs") >= ids.Count, $"{http.BaseAddress}: fewer points than the {ids.Count} acknowledged");
        foreach (var chunk in ids.Chunk(100))
        {
            var body = ClusterData.SearchBody(ClusterData.Row(MiniLmFixture.Queries, 0), chunk.Length, exact: true);
            body["filter"] = new JsonObject { ["must"] = new JsonArray(new JsonObject { ["has_id"] = new JsonArray(chunk.Select(id => (JsonNode)id).ToArray()) }) };
            body["with_payload"] = true;
            body["with_vector"] = true;
            var hits = (await ClusterData.SendAsync(http, HttpMethod.Post, "/collections/docs/points/search", body))["result"]!.AsArray();
            var found = hits.ToDictionary(h => h!["id"]!.GetValue<ulong>());
            foreach (ulong id in chunk)
            {
                Assert.True(found.TryGetValue(id, out var hit), $"{http.BaseAddress}: acknowledged point {id} is missing");
                int row = (int)(id % MiniLmFixture.BaseRows);
                Assert.Equal(row, hit!["payload"]!["row"]!.GetValue<int>());
                var vector = hit["vector"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
                Assert.True(ClusterData.SameDirection(ClusterData.Row(MiniLmFixture.Base, row), vector), $"{http.BaseAddress}: point {id} has another vector");
            }
        }
    }

    /// <summary>Each replica of <c>docs</c>: its silo and state, from <c>GET /collections/docs/cluster</c>.</summary>
    private static async Task<List<(string Silo, string State)>> ReplicaStatesAsync(HttpClient http) =>
        [.. (await ClusterData.SendAsync(http, HttpMethod.Get, "/collections/docs/cluster"))["result"]!["shards"]!.AsArray()
            .SelectMany(shard => shard!["replicas"]!.AsArray())
            .Select(replica => (replica!["peer_id"]!.GetValue<string>(), replica["state"]!.GetValue<string>()))];

    /// <summary>Waits until every running silo's <c>GET /cluster</c> lists exactly <paramref name="count"/> active silos.</summary>
    private async Task WaitActiveSilosAsync(int count, string what)
    {
        foreach (var silo in _silos.Where(s => s.Process is { HasExited: false }))
            await ClusterData.WaitUntilAsync(async () => (await ClusterData.SendAsync(silo.Http, HttpMethod.Get, "/cluster"))["result"]!["peers"]!.AsObject()
                .Count(p => p.Value!["state"]!.GetValue<string>() == "Active") == count, TimeSpan.FromSeconds(90), what);
    }

    private static Task WaitReadyAsync(Silo silo) =>
        ClusterData.WaitUntilAsync(async () => !silo.Process!.HasExited && (await silo.Http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(90),
            $"silo {silo.Http.BaseAddress} to be an active member");

    /// <summary>Starts (or starts again, with the same ports and data) one silo process.</summary>
    private void StartSilo(Silo silo) => silo.Process = Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
    [
        Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll"), "serve", "--cluster", $"redis://127.0.0.1:{Text(_redisPort)}",
        "--silo-port", Text(silo.SiloPort), "--gateway-port", Text(silo.GatewayPort), "--port", Text(silo.HttpPort), "--db", silo.Database,
        "--catch-up-log", Text(_catchUpLog), "--shards", Text(V1Shards), "--replicas", "2",
        // float32 embeddings, as the test's own single node (ServerOptions' default) makes them.
        "--precision", "fp32",
    ]);

    private string EmbeddingCache => Path.Combine(_dir.Path, "embeddings");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One silo process of the test: its ports and data directory stay the same across restarts.</summary>
    private sealed class Silo(int httpPort, int siloPort, int gatewayPort, string database)
    {
        public int HttpPort { get; } = httpPort;

        public int SiloPort { get; } = siloPort;

        public int GatewayPort { get; } = gatewayPort;

        public string Database { get; } = database;

        public HttpClient Http { get; } = new() { BaseAddress = new Uri($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromMinutes(10) };

        public Process? Process { get; set; }
    }

    /// <summary>A point of the fixture as a VectorData record (<see cref="ClusterData.Payload"/>'s fields).</summary>
    public sealed class Row
    {
        [VectorStoreKey] public ulong Key { get; set; }

        [VectorStoreData(StorageName = "group")] public int Group { get; set; }

        [VectorStoreVector(MiniLmFixture.Dimension)] public ReadOnlyMemory<float> Embedding { get; set; }
    }

    private Process Start(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // One embedding cache for the silos and the test's own single node: texts embedded once are the same vectors in both.
        start.Environment[EmbeddingCacheVariable] = EmbeddingCache;
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
