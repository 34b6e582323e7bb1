using System.Diagnostics;
using System.Net.Http.Json;
using BitSieve.Cluster.Client;
using BitSieve.VectorData;
using Microsoft.Extensions.VectorData;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// A real cluster on this machine: a redis-server and three <c>bitsieve serve --cluster</c> processes started by the
/// test. A collection of 6 shards × replication 2 is written through one silo's HTTP API and searched through
/// another's; it answers as a single node does, and keeps answering, completely, after one silo is killed with SIGKILL.
/// A .NET client connected through the cluster's Redis (<see cref="BitSieveCluster.ConnectAsync"/>) answers as HTTP
/// does, and reports the lost shard of a replication-1 collection as <see cref="ShardUnavailableException"/>, which the
/// VectorData connector reports as its <see cref="VectorStoreException"/>.
/// </summary>
public sealed class MultiProcessClusterTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<Process> _processes = [];
    private readonly List<(Process Process, HttpClient Http)> _silos = [];
    private int _redisPort;

    public async Task InitializeAsync()
    {
        int redisPort = _redisPort = ClusterData.FreePort();
        var redis = Start("redis-server", ["--port", redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        using var probe = new HttpClient();
        await ClusterData.WaitUntilAsync(() => Task.FromResult(CanConnect(redisPort)), TimeSpan.FromSeconds(20), "redis-server to listen");
        for (int i = 0; i < 3; i++)
        {
            int http = ClusterData.FreePort();
            var silo = Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll"), "serve", "--cluster", $"redis://127.0.0.1:{redisPort}",
                "--silo-port", ClusterData.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--gateway-port", ClusterData.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--port", http.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", Path.Combine(_dir.Path, $"silo{i}"),
            ]);
            _silos.Add((silo, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(60) }));
        }
        foreach (var (process, http) in _silos)
            await ClusterData.WaitUntilAsync(async () => !process.HasExited && (await http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(90),
                $"silo {http.BaseAddress} to be an active member");
        await ClusterData.WaitUntilAsync(async () => (await _silos[0].Http.GetFromJsonAsync<System.Text.Json.Nodes.JsonNode>("/cluster"))!["result"]!["peers"]!.AsObject()
            .Count(p => p.Value!["state"]!.GetValue<string>() == "Active") == 3, TimeSpan.FromSeconds(60), "three active silos");
        _ = redis;
    }

    public Task DisposeAsync()
    {
        foreach (var (_, http) in _silos) http.Dispose();
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
    public async Task Six_shards_times_two_replicas_answer_as_a_single_node_and_keep_answering_completely_after_a_silo_is_killed()
    {
        var (writer, reader, victim) = (_silos[0].Http, _silos[1].Http, _silos[2]);
        await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 6, replication: 2));
        await ClusterData.UpsertAsync(writer, "docs", MiniLmFixture.BaseRows);
        // A collection with one copy of each shard: 3 shards on 3 silos, so the victim holds one of them alone.
        await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/solo", ClusterData.CreateBody(shards: 3, replication: 1));
        await ClusterData.UpsertAsync(writer, "solo", 300);
        using var reference = new TempDirectory();
        using var database = Database.Open(reference.Path);
        var single = ClusterData.SingleNode(database, MiniLmFixture.BaseRows);

        Assert.Equal(MiniLmFixture.BaseRows, await ClusterData.CountAsync(reader, "docs"));
        await using var client = await BitSieveCluster.ConnectAsync($"redis://127.0.0.1:{_redisPort}");
        var docs = await client.GetCollectionAsync("docs");
        Assert.Equal(MiniLmFixture.BaseRows, await docs.CountPointsAsync());
        for (int q = 0; q < 10; q++)
        {
            var query = ClusterData.Row(MiniLmFixture.Queries, q);
            ClusterData.AssertSameAnswer(ClusterData.Reference(single, query, 10, exact: true), await ClusterData.SearchAsync(reader, "docs", query, 10, exact: true), $"query {q}");
            ClusterData.AssertSameAnswer(ClusterData.Reference(single, query, 10, exact: true),
                [.. (await docs.SearchAsync(query, new SearchOptions { K = 10, Quality = Quality.Exact })).Hits.Select(h => (h.Id.Number, h.Score))], $"client, query {q}");
            ClusterData.AssertSameAnswer(ClusterData.Reference(single, query, 10, exact: true, group: q % 5),
                await ClusterData.SearchAsync(reader, "docs", query, 10, exact: true, group: q % 5), $"query {q}, group {q % 5}");
        }

        string victimId = (await ClusterData.SendAsync(victim.Http, HttpMethod.Get, "/cluster"))["result"]!["peer_id"]!.GetValue<string>();
        victim.Process.Kill(entireProcessTree: true); // SIGKILL: no goodbye to the cluster
        await victim.Process.WaitForExitAsync();
        var killed = Stopwatch.StartNew();

        // The cluster notices (Orleans' membership on Redis declares the silo dead), within a bounded time. Before that, a
        // call whose grain directory entry lived on the killed silo can fail (a 503 naming the shard, never fewer results):
        // the bar, and this test's, is complete answers once the cluster has noticed.
        await ClusterData.WaitUntilAsync(async () => (await ClusterData.SendAsync(writer, HttpMethod.Get, "/cluster"))["result"]!["peers"]!.AsObject()
            .Count(p => p.Value!["state"]!.GetValue<string>() == "Active") == 2, TimeSpan.FromSeconds(90), "the cluster to declare the killed silo dead");
        Console.WriteLine($"The cluster declared the killed silo {victimId} dead {killed.Elapsed.TotalSeconds:F1} s after SIGKILL.");

        // After it noticed: every search answers completely, from the other replica of each shard.
        await AssertAnswersLikeAsync(single, [writer, reader], MiniLmFixture.BaseRows, "after the cluster noticed the kill");
        // Replication 1: the lost shard is an error that names it, never fewer results.
        var lost = await ClusterData.SendAsync(reader, HttpMethod.Post, "/collections/solo/points/search",
            ClusterData.SearchBody(ClusterData.Row(MiniLmFixture.Queries, 0), 10, exact: false), System.Net.HttpStatusCode.ServiceUnavailable);
        Assert.Matches("Shard [0-2] of collection `solo` has no live replica", lost["status"]!["error"]!.GetValue<string>());
        var solo = await client.GetCollectionAsync("solo");
        Assert.Matches("Shard [0-2] of collection `solo` has no live replica", (await Assert.ThrowsAsync<ShardUnavailableException>(() => solo.CountPointsAsync())).Message);
        var records = new BitSieveCollection<ulong, Row>(client, "solo");
        var failure = await Assert.ThrowsAsync<VectorStoreException>(async () => await records.SearchAsync(ClusterData.Row(MiniLmFixture.Queries, 0), 10).ToListAsync());
        Assert.IsType<ShardUnavailableException>(failure.InnerException);

        // Writes after the kill: each shard's surviving replica takes them (the killed silo's copies are marked stale).
        await ClusterData.UpsertAsync(writer, "docs", 200, idOffset: 10_000);
        single.Upsert([.. Enumerable.Range(0, 200).Select(i => new Point((ulong)(10_000 + i), ClusterData.Row(MiniLmFixture.Base, i), ClusterData.Payload(i)))]);
        await AssertAnswersLikeAsync(single, [writer, reader], MiniLmFixture.BaseRows + 200, "after the kill and 200 more writes");
        var shards = (await ClusterData.SendAsync(reader, HttpMethod.Get, "/collections/docs/cluster"))["result"]!["shards"]!.AsArray();
        Assert.All(shards, shard => Assert.All(shard!["replicas"]!.AsArray(), replica =>
            Assert.Equal(replica!["peer_id"]!.GetValue<string>() == victimId ? "Dead" : "Active", replica["state"]!.GetValue<string>())));
    }

    /// <summary>Counts and exact searches (with and without a filter) through each silo equal the single node's.</summary>
    private static async Task AssertAnswersLikeAsync(Collection single, HttpClient[] silos, int count, string when)
    {
        foreach (var http in silos)
        {
            Assert.Equal(count, await ClusterData.CountAsync(http, "docs"));
            for (int q = 10; q < 20; q++)
            {
                var query = ClusterData.Row(MiniLmFixture.Queries, q);
                ClusterData.AssertSameAnswer(ClusterData.Reference(single, query, 10, exact: true), await ClusterData.SearchAsync(http, "docs", query, 10, exact: true), $"{when}, query {q}");
                ClusterData.AssertSameAnswer(ClusterData.Reference(single, query, 10, exact: true, group: q % 5),
                    await ClusterData.SearchAsync(http, "docs", query, 10, exact: true, group: q % 5), $"{when}, query {q}, group {q % 5}");
            }
        }
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
