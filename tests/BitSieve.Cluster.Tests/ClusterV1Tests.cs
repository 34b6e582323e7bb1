using System.Text.Json.Nodes;
using BitSieve.Cluster.Grains;
using BitSieve.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// The /v1 text API on a cluster silo, the single node's code over the cluster's <see cref="IDatabase"/>: documents
/// added as text through the silo (chunked and embedded there with the built-in MiniLM, into a collection the API
/// creates with the silo's 4 shards) answer vector, lexical and hybrid searches, with and without a filter, as a
/// single node's /v1 answers for the same documents: the same passages in the same order with the same scores (BM25
/// with corpus-wide statistics, fused scores for hybrid); the cluster's trace names every shard. Listing, describing
/// and deleting documents agree too.
/// </summary>
public sealed class ClusterV1Tests : IAsyncLifetime
{
    private const int Documents = 120;
    private const int Shards = 4;
    private readonly TempDirectory _dir = new();
    private LocalSilo _silo = null!;
    private BitSieveServer _single = null!;
    private HttpClient _singleHttp = null!;

    public async Task InitializeAsync()
    {
        // One embedding cache for both: the second embeds nothing again, and both store the same vectors.
        string cache = Path.Combine(_dir.Path, "embeddings");
        _silo = await LocalSilo.StartAsync(o => o with
        {
            ShardNumber = Shards,
            CatchUpInterval = TimeSpan.FromHours(1),
            Server = o.Server with { EmbeddingCacheDirectory = cache },
        });
        _single = BitSieveServer.Create(new ServerOptions { DatabasePath = Path.Combine(_dir.Path, "single"), Port = ClusterData.FreePort(), GrpcPort = null, EmbeddingCacheDirectory = cache },
            logging => logging.SetMinimumLevel(LogLevel.Error));
        await _single.StartAsync();
        _singleHttp = new HttpClient { BaseAddress = new Uri(_single.Addresses[0]) };
    }

    public async Task DisposeAsync()
    {
        _singleHttp.Dispose();
        await _single.DisposeAsync();
        await _silo.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Documents_added_through_a_silo_answer_every_mode_as_a_single_node_does()
    {
        foreach (var http in new[] { _singleHttp, _silo.Http }) await AddDocumentsAsync(http, "kb", Documents);
        var layout = await ClusterData.SendAsync(_silo.Http, HttpMethod.Get, "/collections/kb/cluster");
        Assert.Equal(Shards, layout["result"]!["shard_count"]!.GetValue<int>());
        await AssertSameSearchesAsync(_singleHttp, _silo.Http, "kb", Documents, Shards);

        // Listing, describing and deleting documents.
        var singleList = await ClusterData.SendAsync(_singleHttp, HttpMethod.Get, "/v1/collections/kb/documents");
        Assert.Equal(ClusterData.Json(singleList), ClusterData.Json(await ClusterData.SendAsync(_silo.Http, HttpMethod.Get, "/v1/collections/kb/documents")));
        var deleted = await ClusterData.SendAsync(_silo.Http, HttpMethod.Delete, "/v1/collections/kb/documents?source=doc-3/13.txt");
        Assert.Equal(ClusterData.Json(await ClusterData.SendAsync(_singleHttp, HttpMethod.Delete, "/v1/collections/kb/documents?source=doc-3/13.txt")), ClusterData.Json(deleted));
        Assert.True(deleted["chunks_deleted"]!.GetValue<long>() > 0);
        var summary = (await ClusterData.SendAsync(_silo.Http, HttpMethod.Get, "/v1/collections"))["collections"]!.AsArray().Single()!;
        Assert.Equal(ClusterData.Json((await ClusterData.SendAsync(_singleHttp, HttpMethod.Get, "/v1/collections"))["collections"]!.AsArray().Single()!), ClusterData.Json(summary));
        Assert.True(summary["text_index"]!.GetValue<bool>());

        // The silo's /metrics: the points of the replicas it holds (all 4 shards here). (Its search counter is not checked:
        // in one process, OpenTelemetry's listener also hears the single node's meter of the same name.)
        string metrics = await _silo.Http.GetStringAsync("/metrics");
        var samples = System.Text.RegularExpressions.Regex.Matches(metrics, @"^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        double Sum(string name, string label) => samples.Where(m => m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(summary["count"]!.GetValue<long>(), Sum("bitsieve_collection_points", "collection=\"kb.shard-"));

        await ClusterData.SendAsync(_silo.Http, HttpMethod.Post, "/v1/collections/none/search", new JsonObject { ["query"] = "x" }, System.Net.HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_search_that_cannot_reach_a_shard_is_a_503_naming_it()
    {
        string[] texts = MiniLmFixture.Texts("base.jsonl", 8);
        var documents = new JsonArray([.. texts.Select((t, i) => (JsonNode)new JsonObject { ["source"] = $"doc-{i}.txt", ["text"] = t })]);
        await ClusterData.SendAsync(_silo.Http, HttpMethod.Post, "/v1/collections/kb/documents", new JsonObject { ["documents"] = documents });
        await ClusterData.SendAsync(_silo.Http, HttpMethod.Post, "/v1/collections/kb/search", new JsonObject { ["query"] = "semaphore" });

        // Shard 2's only replica missed a write (as when its silo is down): it serves nothing until caught up, which
        // this silo does not try within the test, so no answer can be complete.
        var layouts = _silo.Silo.App.Services.GetRequiredService<IGrainFactory>().GetGrain<ICollectionLayoutGrain>("kb");
        await layouts.MarkStale([(await layouts.Get())!.ReplicaKey(2, 0)]);
        foreach (string mode in new[] { "vector", "lexical", "hybrid" })
        {
            var error = await ClusterData.SendAsync(_silo.Http, HttpMethod.Post, "/v1/collections/kb/search",
                new JsonObject { ["query"] = "semaphore", ["mode"] = mode }, System.Net.HttpStatusCode.ServiceUnavailable);
            Assert.StartsWith("Service unavailable: Shard 2 of collection `kb` has no live replica", error["status"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Adds the first <paramref name="documents"/> fixture texts as documents through <paramref name="http"/>'s /v1
    /// (sources <c>doc-{i % 10}/{i}.txt</c>, in requests of 40), into a collection the API creates with the built-in MiniLM.
    /// </summary>
    internal static async Task AddDocumentsAsync(HttpClient http, string collection, int documents)
    {
        string[] texts = MiniLmFixture.Texts("base.jsonl", documents);
        for (int start = 0; start < documents; start += 40)
        {
            var batch = new JsonArray([.. Enumerable.Range(start, Math.Min(40, documents - start)).Select(i => (JsonNode)new JsonObject { ["source"] = $"doc-{i % 10}/{i}.txt", ["text"] = texts[i] })]);
            var added = await ClusterData.SendAsync(http, HttpMethod.Post, $"/v1/collections/{collection}/documents", new JsonObject { ["documents"] = batch });
            Assert.Equal("minilm", added["model"]!.GetValue<string>());
        }
    }

    /// <summary>
    /// Twelve fixture questions in vector, lexical and hybrid mode at exact quality, with a filter on the documents'
    /// sources, against it, or none: the cluster's /v1 (<paramref name="cluster"/>) answers each as the single node's
    /// (<paramref name="single"/>) with the same passages, order and scores, and its trace names all <paramref name="shards"/> shards.
    /// </summary>
    internal static async Task AssertSameSearchesAsync(HttpClient single, HttpClient cluster, string collection, int documents, int shards)
    {
        string[] questions = MiniLmFixture.Texts("query.jsonl", 12);
        long chunks = (await ClusterData.SendAsync(single, HttpMethod.Get, $"/v1/collections/{collection}"))["info"]!["count"]!.GetValue<long>();
        Assert.Equal(chunks, (await ClusterData.SendAsync(cluster, HttpMethod.Get, $"/v1/collections/{collection}"))["info"]!["count"]!.GetValue<long>());
        foreach (string mode in new[] { "vector", "lexical", "hybrid" })
        {
            for (int q = 0; q < questions.Length; q++)
            {
                var search = new JsonObject { ["query"] = questions[q], ["k"] = 10, ["mode"] = mode, ["quality"] = "exact" };
                // Two tenths of the documents, or all but them.
                var sources = new JsonArray([.. Enumerable.Range(0, documents).Where(i => i % 10 == q % 10 || i % 10 == (q + 3) % 10).Select(i => (JsonNode)$"doc-{i % 10}/{i}.txt")]);
                var match = new JsonObject { ["key"] = "source", ["match"] = new JsonObject { ["any"] = sources } };
                if (q % 3 == 1) search["filter"] = new JsonObject { ["must"] = new JsonArray(match) };
                if (q % 3 == 2) search["filter"] = new JsonObject { ["must_not"] = new JsonArray(match) };
                var expected = await ClusterData.SendAsync(single, HttpMethod.Post, $"/v1/collections/{collection}/search", search.DeepClone());
                var actual = await ClusterData.SendAsync(cluster, HttpMethod.Post, $"/v1/collections/{collection}/search", search.DeepClone());
                string what = $"{mode}, question {q}";
                AssertSamePassages(expected["results"]!.AsArray(), actual["results"]!.AsArray(), what);
                Assert.True(expected["results"]!.AsArray().Count > 0, what);
                var traced = actual["trace"]!["shards"]!.AsArray();
                Assert.Equal(Enumerable.Range(0, shards), traced.Select(s => s!["shard"]!.GetValue<int>()));
                Assert.Null(expected["trace"]!["shards"]);
                if (mode != "lexical")
                    Assert.Equal(traced.Sum(s => s!["t1"]!["seen"]!.GetValue<long>()), actual["trace"]!["t1"]!["seen"]!.GetValue<long>());
            }
        }
    }

    /// <summary>The same passages, best first, with the same scores (ids of passages tied on their score may trade places).</summary>
    private static void AssertSamePassages(JsonArray expected, JsonArray actual, string what)
    {
        ClusterData.AssertSameAnswer(Ranked(expected), Ranked(actual), what);
        for (int i = 0; i < expected.Count; i++)
            if (expected[i]!["id"]!.GetValue<string>() == actual[i]!["id"]!.GetValue<string>())
                Assert.Equal(ClusterData.Json(expected[i]!), ClusterData.Json(actual[i]!));
    }

    /// <summary>Passages as (a number per id, score) pairs for <see cref="ClusterData.AssertSameAnswer"/>: the id's first 8 bytes.</summary>
    private static List<(ulong Id, float Score)> Ranked(JsonArray passages) =>
        [.. passages.Select(p => (BitConverter.ToUInt64(Guid.Parse(p!["id"]!.GetValue<string>()).ToByteArray()), p!["score"]!.GetValue<float>()))];
}
