using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BitSieve.Cli.Bench;
using BitSieve.Cluster.Client;
using BitSieve.Server;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// The equality bar at scale, on the multi-process cluster: the fixture grown by <c>bitsieve bench --scale-to</c>'s
/// generator (<see cref="ScaledBase"/>) to <c>BITSIEVE_CLUSTER_POINTS</c> points (20,000 by default), with payloads, in
/// 6 shards × replication 2, written through one silo's HTTP API and searched through another's, against a single node of
/// the same points: the same ids for exact searches, recall at the default quality at least the single node's, with and
/// without a filter; hybrid search through the .NET client connected by the cluster's Redis the same ids and fused scores;
/// and documents added as text through one silo's <c>/v1</c> answer vector, lexical and hybrid searches through another's
/// as a single node's <c>/v1</c> does (<see cref="ClusterV1Tests.AssertSameSearchesAsync"/>).
/// </summary>
public sealed partial class MultiProcessClusterTests
{
    private const int DefaultScaledPoints = 20_000;
    private const int HybridQuestions = 10;
    private const int V1Shards = 6;
    private const int V1Documents = 120;
    private const string EmbeddingCacheVariable = "BITSIEVE_CACHE_DIR";

    [Fact]
    public async Task Grown_points_in_six_shards_times_two_written_through_one_silo_answer_through_another_as_a_single_node()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("BITSIEVE_CLUSTER_POINTS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : DefaultScaledPoints;
        Assert.True(count >= MiniLmFixture.BaseRows, $"BITSIEVE_CLUSTER_POINTS {count} is below the fixture's {MiniLmFixture.BaseRows} rows");
        const int dim = MiniLmFixture.Dimension;
        float[] vectors = new float[(long)count * dim];
        MiniLmFixture.Base.AsSpan(0, MiniLmFixture.BaseRows * dim).CopyTo(vectors);
        new ScaledBase(MiniLmFixture.Base, MiniLmFixture.BaseRows, dim).Generate(vectors.AsSpan(MiniLmFixture.BaseRows * dim));
        string[] texts = MiniLmFixture.Texts("base.jsonl", MiniLmFixture.BaseRows);
        JsonObject PayloadOf(int row) => new() { ["row"] = row, ["group"] = row % 5, ["text"] = texts[row % MiniLmFixture.BaseRows] };
        float[] Vector(int row) => vectors.AsSpan(row * dim, dim).ToArray();

        var clock = Stopwatch.StartNew();
        await StartClusterAsync(catchUpLog: 100_000);
        var (writer, reader) = (_silos[0].Http, _silos[1].Http);
        var started = clock.Elapsed;
        await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 6, replication: 2));
        for (int start = 0; start < count; start += 500)
        {
            var points = new JsonArray();
            for (int i = start; i < Math.Min(count, start + 500); i++)
                points.Add(new JsonObject { ["id"] = i, ["vector"] = new JsonArray(Vector(i).Select(x => (JsonNode)x).ToArray()), ["payload"] = PayloadOf(i) });
            await ClusterData.SendAsync(writer, HttpMethod.Put, "/collections/docs/points", new JsonObject { ["points"] = points });
        }
        var written = clock.Elapsed;
        // The HTTP API indexes no text field (a Qdrant text index tokenizes differently): BM25's field is set through the client.
        await using var client = await BitSieveCluster.ConnectAsync($"redis://127.0.0.1:{Text(_redisPort)}");
        var docs = await client.GetCollectionAsync("docs");
        await docs.CreatePayloadIndexAsync("text", "text");

        using var reference = new TempDirectory();
        using var database = Database.Open(reference.Path);
        var single = database.CreateCollection("single", new CollectionOptions { Dimension = dim });
        for (int start = 0; start < count; start += 5000)
            single.Upsert([.. Enumerable.Range(start, Math.Min(5000, count - start)).Select(i => new Point((ulong)i, Vector(i), PayloadOf(i)))]);
        single.CreatePayloadIndex("text", "text");
        var built = clock.Elapsed;

        Assert.Equal(count, await ClusterData.CountAsync(reader, "docs"));
        Assert.Equal(count, await docs.CountPointsAsync());
        // Every shard holds part of the points (the hash spreads them), each in two replicas on two silos that agree.
        var shards = (await ClusterData.SendAsync(reader, HttpMethod.Get, "/collections/docs/cluster"))["result"]!["shards"]!.AsArray();
        Assert.Equal(6, shards.Count);
        foreach (var shard in shards)
        {
            var replicas = shard!["replicas"]!.AsArray();
            Assert.Equal(2, replicas.Count);
            Assert.NotEqual(replicas[0]!["peer_id"]!.GetValue<string>(), replicas[1]!["peer_id"]!.GetValue<string>());
            Assert.Equal(replicas[0]!["points_count"]!.GetValue<long>(), replicas[1]!["points_count"]!.GetValue<long>());
            Assert.InRange(replicas[0]!["points_count"]!.GetValue<long>(), count / 12, count / 3);
        }
        Assert.Equal(count, shards.Sum(shard => shard!["replicas"]![0]!["points_count"]!.GetValue<long>()));

        string[] questions = MiniLmFixture.Texts("query.jsonl", 30);
        double clusterRecall = 0, singleRecall = 0;
        int searches = 0, hybridSearches = 0;
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

                var filter = group is { } g ? Filter.Parse($$$"""{"must":[{"key":"group","match":{"value":{{{g}}}}}]}""") : null;
                var exact = new SearchOptions { K = 10, Quality = Quality.Exact };
                ClusterData.AssertSameAnswer(truth, Hits(await docs.SearchAsync(query, exact, filter, withPayload: false)), $"client, {what}");
                // Hybrid through the .NET client (over HTTP, the /v1 text API below). The first HybridQuestions only: BM25 over the text index is the slowest search here, on the single node too.
                if (q >= HybridQuestions) continue;
                var hybrid = Hits(single.SearchHybrid(query, questions[q], exact, filter, withPayload: false));
                ClusterData.AssertSameAnswer(hybrid, Hits(await docs.SearchHybridAsync(query, questions[q], exact, filter, withPayload: false)), $"hybrid, {what}");
                hybridSearches++;
            }
        }
        var searched = clock.Elapsed;

        // The /v1 text API over HTTP: documents added as text through one silo (chunked and embedded there, into a
        // collection of 6 shards x 2 that /v1 creates) answer vector, lexical and hybrid searches through another silo as a
        // single node's /v1 answers for the same documents.
        using var singleServerDir = new TempDirectory();
        await using var singleServer = BitSieveServer.Create(
            new ServerOptions { DatabasePath = singleServerDir.Path, Port = ClusterData.FreePort(), GrpcPort = null, EmbeddingCacheDirectory = EmbeddingCache },
            logging => logging.SetMinimumLevel(LogLevel.Error));
        await singleServer.StartAsync();
        using var singleHttp = new HttpClient { BaseAddress = new Uri(singleServer.Addresses[0]) };
        foreach (var http in new[] { singleHttp, writer }) await ClusterV1Tests.AddDocumentsAsync(http, "kb", V1Documents);
        await ClusterV1Tests.AssertSameSearchesAsync(singleHttp, reader, "kb", V1Documents, V1Shards);
        var v1Searched = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} points, 6 shards x 2: {searches} exact searches and {hybridSearches} hybrid searches equal; recall@10 at the default quality over {searches} searches: " +
            $"cluster {clusterRecall / searches:F4}, single node {singleRecall / searches:F4}."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Seconds: cluster started {started.TotalSeconds:F1}, points written {(written - started).TotalSeconds:F1}, single node built {(built - written).TotalSeconds:F1}, " +
            $"searches compared {(searched - built).TotalSeconds:F1}, /v1 documents added and searched {(v1Searched - searched).TotalSeconds:F1}, total {v1Searched.TotalSeconds:F1}."));
        foreach (var silo in _silos) Console.WriteLine($"Silo {silo.Http.BaseAddress}: {Memory(silo.Process!)}");
        Assert.True(clusterRecall >= singleRecall, string.Create(CultureInfo.InvariantCulture, $"cluster recall {clusterRecall / searches:F4} < single node's {singleRecall / searches:F4}"));
    }

    private static List<(ulong Id, float Score)> Hits(PointSearchResult result) => [.. result.Hits.Select(h => (h.Id.Number, h.Score))];

    /// <summary>A process's resident memory from <c>/proc/PID/status</c>: its peak (VmHWM), now (VmRSS), and now's anonymous and file parts.</summary>
    private static string Memory(Process process) =>
        string.Join(", ", File.ReadLines($"/proc/{Text(process.Id)}/status")
            .Where(line => new[] { "VmHWM:", "VmRSS:", "RssAnon:", "RssFile:" }.Any(key => line.StartsWith(key, StringComparison.Ordinal)))
            .Select(line => string.Join(' ', line.Split(default(char[]), StringSplitOptions.RemoveEmptyEntries))));
}
