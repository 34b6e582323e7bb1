using System.Text.Json.Nodes;
using BitSieve.Cluster.Client;
using BitSieve.Server;
using BitSieve.VectorData;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.VectorData;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// <see cref="BitSieveCluster"/>, the .NET client: two silos in this process, a client connected through one silo's
/// gateway, and every answer compared with an embedded collection of the same points driven through the same
/// <see cref="IPointCollection"/> calls; then the VectorData connector over the cluster against the connector over an
/// embedded database.
/// </summary>
public sealed class ClusterClientTests : IClassFixture<ClusterClientTests.TwoSilos>, IAsyncLifetime
{
    private const int Rows = 1_000;
    private static readonly string[] Texts = MiniLmFixture.Texts("base.jsonl", Rows);
    private static readonly string[] Questions = MiniLmFixture.Texts("query.jsonl", 10);
    private readonly TwoSilos _silos;
    private readonly TempDirectory _dir = new();
    private Database _database = null!;
    private BitSieveCluster _cluster = null!;

    public ClusterClientTests(TwoSilos silos) => _silos = silos;

    public async Task InitializeAsync()
    {
        _database = Database.Open(_dir.Path);
        _cluster = await BitSieveCluster.ConnectLocalAsync(_silos.GatewayPort);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _database.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_sharded_collection_through_the_client_answers_as_an_embedded_one()
    {
        var options = new CollectionOptions { Dimension = MiniLmFixture.Dimension };
        IPointCollection single = _database.CreateCollection("docs", options);
        IPointCollection sharded = await _cluster.CreateCollectionAsync("docs", options, shardNumber: 4, replicationFactor: 2);
        Assert.Equal("docs", sharded.Name);
        Assert.True(await _cluster.CollectionExistsAsync("docs"));
        Assert.False(await _cluster.CollectionExistsAsync("nothing"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _cluster.GetCollectionAsync("nothing"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _cluster.CreateCollectionAsync("docs", options));
        Assert.Equal(options.Dimension, (await _cluster.GetCollectionAsync("docs")).Options.Dimension);

        var points = Enumerable.Range(0, Rows).Select(i => new Point((ulong)i, ClusterData.Row(MiniLmFixture.Base, i), PayloadOf(i))).ToList();
        foreach (var collection in new[] { single, sharded })
        {
            foreach (var batch in points.Chunk(250)) await collection.UpsertAsync(batch);
            await collection.CreatePayloadIndexAsync("text", "text");
            await collection.CreatePayloadIndexAsync("group", "integer");
        }
        await SameAnswersAsync(single, sharded, "after the upserts");

        // Deletes by id and by filter, the filter built in code (it travels as its JSON text).
        var inGroupFour = new Filter(Must: [new FieldCondition(PayloadPath.Parse("group"), new MatchInteger(4))]);
        foreach (var collection in new[] { single, sharded })
        {
            await collection.DeleteAsync([.. Enumerable.Range(0, 100).Select(i => new PointId((ulong)i))]);
            await collection.DeleteAsync(inGroupFour);
        }
        Assert.Equal(Rows - 100 - (Rows - 100) / 5, await sharded.CountPointsAsync());
        Assert.Equal(0, await sharded.CountPointsAsync(inGroupFour));
        await SameAnswersAsync(single, sharded, "after the deletes");

        Assert.True(await _cluster.DeleteCollectionAsync("docs"));
        Assert.False(await _cluster.CollectionExistsAsync("docs"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => sharded.CountPointsAsync());
    }

    [Fact]
    public async Task A_payload_change_by_ids_naming_a_missing_point_changes_the_others_as_on_an_embedded_collection()
    {
        // The Qdrant API's 404 for a missing id is its own check, on either host (ClusterPointsTests); the collection skips it.
        var options = new CollectionOptions { Dimension = MiniLmFixture.Dimension };
        IPointCollection single = _database.CreateCollection("payloads", options);
        IPointCollection sharded = await _cluster.CreateCollectionAsync("payloads", options, shardNumber: 3);
        var points = Enumerable.Range(0, 30).Select(i => new Point((ulong)i, ClusterData.Row(MiniLmFixture.Base, i), PayloadOf(i))).ToList();
        PointId[] named = [3, 17, 424_242];
        foreach (var collection in new[] { single, sharded })
        {
            await collection.UpsertAsync(points);
            await collection.SetPayloadAsync(named, new JsonObject { ["tag"] = "a" });
            await collection.ClearPayloadAsync(new PointId[] { 4, 424_243 });
        }
        PointId[] read = [3, 4, 17, 18];
        Assert.Equal(Describe(await single.RetrieveAsync(read)), Describe(await sharded.RetrieveAsync(read)));
        Assert.Equal("a", (await sharded.RetrieveAsync([17]))[0].Payload!["tag"]!.GetValue<string>());
        Assert.True(await _cluster.DeleteCollectionAsync("payloads"));
    }

    [Fact]
    public async Task Concurrent_get_or_creates_of_a_new_collection_all_answer_it_as_an_embedded_database_does()
    {
        var options = new CollectionOptions { Dimension = MiniLmFixture.Dimension };
        var created = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _cluster.GetOrCreateCollectionAsync("raced", options))));
        Assert.All(created, c => Assert.Equal(("raced", options.Dimension), (c.Name, c.Options.Dimension)));
        Assert.True(await _cluster.DeleteCollectionAsync("raced"));
    }

    [Fact]
    public async Task The_VectorData_connector_over_the_cluster_answers_as_over_an_embedded_database()
    {
        _cluster.DefaultShardNumber = 3;
        _cluster.DefaultReplicationFactor = 2;
        var embedded = new BitSieveCollection<ulong, Doc>(_database, "vd");
        var clustered = new BitSieveCollection<ulong, Doc>(_cluster, "vd");
        var docs = Enumerable.Range(0, Rows).Select(i => new Doc { Key = (ulong)i, Group = i % 5, Text = Texts[i], Embedding = ClusterData.Row(MiniLmFixture.Base, i) }).ToList();
        foreach (var collection in new[] { embedded, clustered })
        {
            Assert.False(await collection.CollectionExistsAsync());
            await collection.EnsureCollectionExistsAsync();
            await collection.EnsureCollectionExistsAsync();
            Assert.True(await collection.CollectionExistsAsync());
            await collection.UpsertAsync(docs);
        }
        Assert.Equal((3, 2), await LayoutOfAsync("vd"));
        using var store = new BitSieveVectorStore(_cluster, new BitSieveVectorStoreOptions());
        Assert.Contains("vd", await store.ListCollectionNamesAsync().ToListAsync());
        Assert.Equal(await new BitSieveVectorStore(_database).ListCollectionNamesAsync().ToListAsync(), await store.ListCollectionNamesAsync().ToListAsync());

        Assert.Equal(Describe(await embedded.GetAsync(7UL)), Describe(await clustered.GetAsync(7UL)));
        ulong[] keys = [3, 999, 12_345, 500];
        Assert.Equal(Describe(await embedded.GetAsync(keys).ToListAsync()), Describe(await clustered.GetAsync(keys).ToListAsync()));
        Assert.Equal(3, (await clustered.GetAsync(keys).ToListAsync()).Count);
        var filtered = new FilteredRecordRetrievalOptions<Doc> { Skip = 5 };
        Assert.Equal(Describe(await embedded.GetAsync(d => d.Group == 2, 20, filtered).ToListAsync()),
            Describe(await clustered.GetAsync(d => d.Group == 2, 20, filtered).ToListAsync()));

        for (int q = 0; q < Questions.Length; q++)
        {
            float[] query = ClusterData.Row(MiniLmFixture.Queries, q);
            var exact = new BitSieveVectorSearchOptions<Doc> { Quality = Quality.Exact, Filter = q % 2 == 0 ? null : d => d.Group == q % 5 };
            ClusterData.AssertSameAnswer(Hits(await embedded.SearchAsync(query, 10, exact).ToListAsync()), Hits(await clustered.SearchAsync(query, 10, exact).ToListAsync()),
                $"question {q}");
            var hybrid = new BitSieveHybridSearchOptions<Doc> { Quality = Quality.Exact };
            ClusterData.AssertSameAnswer(Hits(await embedded.HybridSearchAsync(query, [Questions[q]], 10, hybrid).ToListAsync()),
                Hits(await clustered.HybridSearchAsync(query, [Questions[q]], 10, hybrid).ToListAsync()), $"hybrid, question {q}");
        }

        foreach (var collection in new[] { embedded, clustered })
        {
            await collection.DeleteAsync(7UL);
            Assert.Null(await collection.GetAsync(7UL));
            await collection.EnsureCollectionDeletedAsync();
            Assert.False(await collection.CollectionExistsAsync());
        }
        Assert.DoesNotContain("vd", await store.ListCollectionNamesAsync().ToListAsync());
        var missing = await Assert.ThrowsAsync<VectorStoreException>(() => clustered.GetAsync(1UL));
        Assert.Contains(_cluster.Location, missing.Message, StringComparison.Ordinal);
    }

    private static JsonObject PayloadOf(int row) => new() { ["row"] = row, ["group"] = row % 5, ["text"] = Texts[row] };

    /// <summary>Counts, exact and filtered searches, hybrid searches, retrievals and a filtered scroll, each equal on both.</summary>
    private static async Task SameAnswersAsync(IPointCollection single, IPointCollection sharded, string when)
    {
        var groupTwo = Filter.Parse("""{"must":[{"key":"group","match":{"value":2}}]}""");
        Assert.Equal(await single.CountPointsAsync(), await sharded.CountPointsAsync());
        Assert.Equal(await single.CountPointsAsync(groupTwo), await sharded.CountPointsAsync(groupTwo));
        var exact = new SearchOptions { K = 10, Quality = Quality.Exact };
        for (int q = 0; q < Questions.Length; q++)
        {
            float[] query = ClusterData.Row(MiniLmFixture.Queries, q);
            foreach (var filter in new[] { null, groupTwo })
            {
                string what = $"{when}, question {q}, filter {filter?.ToJson()}";
                ClusterData.AssertSameAnswer(Hits(await single.SearchAsync(query, exact, filter)), Hits(await sharded.SearchAsync(query, exact, filter)), what);
                ClusterData.AssertSameAnswer(Hits(await single.SearchHybridAsync(query, Questions[q], exact, filter)),
                    Hits(await sharded.SearchHybridAsync(query, Questions[q], exact, filter)), $"hybrid, {what}");
            }
            Assert.True((await sharded.SearchAsync(query, exact)).Trace.T1Seen > 0, "the shards' trace counts reach the client");
        }
        PointId[] ids = [5, 250, 100_000, 999, 101];
        Assert.Equal(Describe(await single.RetrieveAsync(ids)), Describe(await sharded.RetrieveAsync(ids)));
        var singlePage = await single.ScrollAsync(new PointId(40), 30, groupTwo);
        var shardedPage = await sharded.ScrollAsync(new PointId(40), 30, groupTwo);
        Assert.Equal(Describe(singlePage.Points), Describe(shardedPage.Points));
        Assert.Equal(singlePage.NextOffset, shardedPage.NextOffset);
    }

    /// <summary>The collection's shards and replication factor, as a silo's HTTP API reports them.</summary>
    private async Task<(int Shards, int Replication)> LayoutOfAsync(string collection)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_silos.HttpAddress) };
        var info = (await ClusterData.SendAsync(http, HttpMethod.Get, $"/collections/{collection}/cluster"))["result"]!;
        return (info["shard_count"]!.GetValue<int>(), info["replication_factor"]!.GetValue<int>());
    }

    private static List<(ulong Id, float Score)> Hits(PointSearchResult result) => [.. result.Hits.Select(h => (h.Id.Number, h.Score))];

    private static List<(ulong Id, float Score)> Hits(List<VectorSearchResult<Doc>> results) => [.. results.Select(r => (r.Record.Key, (float)r.Score!.Value))];

    private static string Describe(IEnumerable<PointRecord> records) => string.Join("\n", records.Select(r => $"{r.Id} {r.Payload?.ToJsonString()}"));

    private static string Describe(Doc? doc) => doc is null ? "null" : $"{doc.Key} {doc.Group} {doc.Text}";

    private static string Describe(IEnumerable<Doc> docs) => string.Join("\n", docs.Select(Describe));

    public sealed class Doc
    {
        [VectorStoreKey] public ulong Key { get; set; }

        [VectorStoreData(IsIndexed = true)] public int Group { get; set; }

        [VectorStoreData(IsFullTextIndexed = true)] public string Text { get; set; } = "";

        [VectorStoreVector(MiniLmFixture.Dimension, DistanceFunction = DistanceFunction.CosineSimilarity)] public ReadOnlyMemory<float> Embedding { get; set; }
    }

    /// <summary>Two silos on Orleans' localhost clustering, shared by the tests of the class.</summary>
    public sealed class TwoSilos : IAsyncLifetime
    {
        private readonly TempDirectory _dir = new();
        private readonly List<ClusterSilo> _silos = [];

        public int GatewayPort { get; private set; }

        public string HttpAddress => _silos[0].Addresses[0];

        public async Task InitializeAsync()
        {
            int primary = ClusterData.FreePort();
            GatewayPort = ClusterData.FreePort();
            for (int i = 0; i < 2; i++)
            {
                var silo = ClusterSilo.Create(new ClusterOptions
                {
                    Server = new ServerOptions { DatabasePath = Path.Combine(_dir.Path, $"silo{i}"), Port = ClusterData.FreePort() },
                    SiloPort = i == 0 ? primary : ClusterData.FreePort(),
                    GatewayPort = i == 0 ? GatewayPort : ClusterData.FreePort(),
                    PrimarySiloPort = i == 0 ? null : primary,
                }, logging => logging.SetMinimumLevel(LogLevel.Error));
                _silos.Add(silo);
                await silo.StartAsync();
            }
            using var http = new HttpClient { BaseAddress = new Uri(HttpAddress) };
            await ClusterData.WaitUntilAsync(async () => (await ClusterData.SendAsync(http, HttpMethod.Get, "/cluster"))["result"]!["peers"]!.AsObject()
                .Count(p => p.Value!["state"]!.GetValue<string>() == "Active") == 2, TimeSpan.FromSeconds(60), "two active silos");
        }

        public async Task DisposeAsync()
        {
            for (int i = _silos.Count - 1; i >= 0; i--) await _silos[i].DisposeAsync();
            _dir.Dispose();
        }
    }
}
