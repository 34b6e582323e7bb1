using System.Globalization;
using System.Text.Json.Nodes;
using BitSieve.Cli.Bench;
using BitSieve.Cluster.Grains;
using BitSieve.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// The equality bar at scale, on three silos in this process (Orleans' localhost clustering: the
/// multi-process cluster's start and HTTP writes take longer on a loaded machine): the fixture grown by
/// <c>bitsieve bench --scale-to</c>'s generator (<see cref="ScaledBase"/>) to <c>BITSIEVE_CLUSTER_POINTS</c> points
/// (the 20,000: 8 minutes on the 2-core build machine at load 48; 4,000 by default, to keep the normal run short), with
/// payloads, in 6 shards × replication 2, written through one silo's HTTP API and searched through another's, against a
/// single node of the same points: the same ids for exact searches, recall at the default quality at least the single
/// node's, with and without a filter, and hybrid search (through the other silo's coordinator) equal.
/// </summary>
public sealed class ScaledClusterTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<ClusterSilo> _silos = [];
    private readonly List<HttpClient> _http = [];

    public async Task InitializeAsync()
    {
        int primary = ClusterData.FreePort();
        for (int i = 0; i < 3; i++)
        {
            var silo = ClusterSilo.Create(new ClusterOptions
            {
                Server = new ServerOptions { DatabasePath = Path.Combine(_dir.Path, $"silo{i}"), Port = ClusterData.FreePort() },
                SiloPort = i == 0 ? primary : ClusterData.FreePort(),
                GatewayPort = ClusterData.FreePort(),
                PrimarySiloPort = i == 0 ? null : primary,
            }, logging => logging.SetMinimumLevel(LogLevel.Error));
            _silos.Add(silo);
            await silo.StartAsync();
            _http.Add(new HttpClient { BaseAddress = new Uri(silo.Addresses[0]), Timeout = TimeSpan.FromMinutes(5) });
        }
        await ClusterData.WaitUntilAsync(async () => (await ClusterData.SendAsync(_http[0], HttpMethod.Get, "/cluster"))["result"]!["peers"]!.AsObject()
            .Count(p => p.Value!["state"]!.GetValue<string>() == "Active") == 3, TimeSpan.FromSeconds(90), "three active silos");
    }

    public async Task DisposeAsync()
    {
        foreach (var http in _http) http.Dispose();
        for (int i = _silos.Count - 1; i >= 0; i--) await _silos[i].DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Grown_points_in_six_shards_times_two_answer_as_a_single_node_exact_default_filtered_and_hybrid()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("BITSIEVE_CLUSTER_POINTS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 4_000;
        const int dim = MiniLmFixture.Dimension;
        float[] vectors = new float[(long)count * dim];
        MiniLmFixture.Base.AsSpan(0, MiniLmFixture.BaseRows * dim).CopyTo(vectors);
        new ScaledBase(MiniLmFixture.Base, MiniLmFixture.BaseRows, dim).Generate(vectors.AsSpan(MiniLmFixture.BaseRows * dim));
        string[] texts = MiniLmFixture.Texts("base.jsonl", MiniLmFixture.BaseRows);
        JsonObject PayloadOf(int row) => new() { ["row"] = row, ["group"] = row % 5, ["text"] = texts[row % MiniLmFixture.BaseRows] };
        float[] Vector(int row) => vectors.AsSpan(row * dim, dim).ToArray();

        var (writer, reader) = (_http[0], _http[1]);
        await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 6, replication: 2));
        for (int start = 0; start < count; start += 500)
        {
            var points = new JsonArray();
            for (int i = start; i < Math.Min(count, start + 500); i++)
                points.Add(new JsonObject { ["id"] = i, ["vector"] = new JsonArray(Vector(i).Select(x => (JsonNode)x).ToArray()), ["payload"] = PayloadOf(i) });
            await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/docs/points", new JsonObject { ["points"] = points });
        }
        var coordinator = _silos[1].App.Services.GetRequiredService<IGrainFactory>().GetGrain<IClusterPointsGrain>(0);
        await coordinator.Change("docs", new ShardChange(ShardChangeKind.CreatePayloadIndex, null, null, Field: "text", Schema: "text"));

        using var reference = new TempDirectory();
        using var database = Database.Open(reference.Path);
        var single = database.CreateCollection("single", new CollectionOptions { Dimension = dim });
        for (int start = 0; start < count; start += 5000)
            single.Upsert([.. Enumerable.Range(start, Math.Min(5000, count - start)).Select(i => new Point((ulong)i, Vector(i), PayloadOf(i)))]);
        single.CreatePayloadIndex("text", "text");

        Assert.Equal(count, await ClusterData.CountAsync(reader, "docs"));
        string[] questions = MiniLmFixture.Texts("query.jsonl", 30);
        double clusterRecall = 0, singleRecall = 0;
        int searches = 0;
        for (int q = 0; q < questions.Length; q++)
        {
            float[] query = ClusterData.Row(MiniLmFixture.Queries, q);
            foreach (int? group in new int?[] { null, q % 5 })
            {
                string what = $"query {q}, group {group}";
                var truth = ClusterData.Reference(single, query, 10, exact: true, group);
                ClusterData.AssertSameAnswer(truth, await ClusterData.SearchAsync(reader, "docs", query, 10, exact: true, group), what);
                var truthIds = truth.Select(h => h.Id).ToHashSet();
                clusterRecall += (await ClusterData.SearchAsync(reader, "docs", query, 10, exact: false, group)).Count(h => truthIds.Contains(h.Id)) / 10.0;
                singleRecall += ClusterData.Reference(single, query, 10, exact: false, group).Count(h => truthIds.Contains(h.Id)) / 10.0;
                searches++;

                string? filter = group is { } g ? $$$"""{"must":[{"key":"group","match":{"value":{{{g}}}}}]}""" : null;
                var hybrid = single.SearchHybrid(query, questions[q], new SearchOptions { K = 10, Quality = Quality.Exact }, filter is null ? null : Filter.Parse(filter), withPayload: false);
                var answer = await coordinator.SearchHybrid("docs", new ShardQuery(query, filter, 10, 1, null, null, false, false), questions[q], candidates: 50, vectorWeight: 1);
                ClusterData.AssertSameAnswer([.. hybrid.Hits.Select(h => (h.Id.Number, h.Score))],
                    [.. answer.Hits.Select(h => (ulong.Parse(h.Id, CultureInfo.InvariantCulture), h.Score))], $"hybrid {what}");
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} points, 6 shards x 2: recall@10 at the default quality over {searches} searches: cluster {clusterRecall / searches:F4}, single node {singleRecall / searches:F4}."));
        Assert.True(clusterRecall >= singleRecall, string.Create(CultureInfo.InvariantCulture, $"cluster recall {clusterRecall / searches:F4} < single node's {singleRecall / searches:F4}"));
    }
}
