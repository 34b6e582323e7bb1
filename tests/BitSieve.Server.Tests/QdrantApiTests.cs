using System.Net;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>The Qdrant-compatible endpoints' answers, checked against brute force and against Qdrant's documented shapes.</summary>
public sealed class QdrantApiTests : IAsyncLifetime
{
    private ServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static float[][] RandomVectors(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
    }

    private static string Json(float[] v) => JsonSerializer.Serialize(v);

    private async Task UpsertAsync(string collection, float[][] vectors, Func<int, string>? payload = null)
    {
        for (int start = 0; start < vectors.Length; start += 200)
        {
            var points = Enumerable.Range(start, Math.Min(200, vectors.Length - start))
                .Select(i => $$"""{"id":{{i}},"vector":{{Json(vectors[i])}},"payload":{{payload?.Invoke(i) ?? "null"}}}""");
            (await _host.PutAsync($"/collections/{collection}/points?wait=true", $$"""{"points":[{{string.Join(",", points)}}]}""")).AssertOk();
        }
    }

    private static List<(long Id, float Score)> Hits(JsonElement points) =>
        points.EnumerateArray().Select(p => (p.GetProperty("id").GetInt64(), p.GetProperty("score").GetSingle())).ToList();

    [Theory]
    [InlineData("Cosine")]
    [InlineData("Dot")]
    [InlineData("Euclid")]
    public async Task Exact_search_equals_brute_force_with_Qdrants_scores(string distance)
    {
        const int dimension = 24;
        var vectors = RandomVectors(600, dimension, seed: distance.Length);
        await _host.CreateCollectionAsync("m", dimension, distance, ""","quantization_config":{"scalar":{"type":"int8","quantile":0.99}}""");
        await UpsertAsync("m", vectors);
        var info = await _host.GetAsync("/collections/m");
        Assert.Equal(distance, info.Result.GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("distance").GetString());
        Assert.Equal("int8", info.Result.GetProperty("config").GetProperty("quantization_config").GetProperty("scalar").GetProperty("type").GetString());

        foreach (var query in RandomVectors(5, dimension, seed: 99))
        {
            double Score(float[] v) => distance switch
            {
                "Cosine" => Dot(v, query) / Math.Sqrt(Dot(v, v) * Dot(query, query)),
                "Dot" => Dot(v, query),
                _ => Math.Sqrt(v.Zip(query, (a, b) => (double)(a - b) * (a - b)).Sum()),
            };
            var truth = vectors.Select((v, i) => (Id: (long)i, Score: Score(v)))
                .OrderBy(t => distance == "Euclid" ? t.Score : -t.Score).Take(10).ToList();
            foreach (string body in new[]
            {
                $$$"""{"query":{{{Json(query)}}},"limit":10,"params":{"exact":true}}""",
                $$$$"""{"query":{{{{Json(query)}}}},"limit":10,"params":{"quantization":{"ignore":true,"rescore":false}}}""",
            })
            {
                var hits = Hits((await _host.PostAsync("/collections/m/points/query", body)).Result.GetProperty("points"));
                Assert.Equal(truth.Select(t => t.Id), hits.Select(h => h.Id));
                for (int i = 0; i < hits.Count; i++) Assert.Equal(truth[i].Score, hits[i].Score, 1e-4);
            }
            // The older search API answers the same, as a bare list.
            var search = await _host.PostAsync("/collections/m/points/search", $$$"""{"vector":{{{Json(query)}}},"limit":10,"params":{"exact":true}}""");
            Assert.Equal(truth.Select(t => t.Id), Hits(search.Result).Select(h => h.Id));
            // Score threshold: better-or-equal, which for Euclid means distances at or below it.
            float threshold = (float)truth[4].Score + (distance == "Euclid" ? 1e-5f : -1e-5f);
            var thresholded = await _host.PostAsync("/collections/m/points/query", $$$"""{"query":{{{Json(query)}}},"limit":10,"score_threshold":{{{threshold}}},"params":{"exact":true}}""");
            Assert.Equal(truth.Take(5).Select(t => t.Id), Hits(thresholded.Result.GetProperty("points")).Select(h => h.Id));
        }
    }

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public async Task Cascade_and_oversampling_return_exact_scores_and_batches_answer_each_search()
    {
        var vectors = RandomVectors(1500, 32, seed: 5);
        await _host.CreateCollectionAsync("q", 32, "Dot", ""","quantization_config":{"binary":{}}""");
        await UpsertAsync("q", vectors);
        var queries = RandomVectors(4, 32, seed: 6);
        string Search(float[] q, string extra) => $$"""{"query":{{Json(q)}},"limit":5{{extra}}}""";
        var batch = await _host.PostAsync("/collections/q/points/query/batch", $$"""
            {"searches":[{{Search(queries[0], "")}},{{Search(queries[1], ",\"params\":{\"quantization\":{\"oversampling\":4.5}}")}},{{Search(queries[2], ",\"params\":{\"exact\":true}")}},{{Search(queries[3], ",\"offset\":2")}}]}
            """);
        batch.AssertOk();
        Assert.Equal(4, batch.Result.GetArrayLength());
        for (int s = 0; s < 4; s++)
        {
            foreach (var (id, score) in Hits(batch.Result[s].GetProperty("points")))
                Assert.Equal(Dot(vectors[id], queries[s]), score, 1e-3);
        }
        var searchBatch = await _host.PostAsync("/collections/q/points/search/batch", $$$"""{"searches":[{"vector":{{{Json(queries[2])}}},"limit":5,"params":{"exact":true}}]}""");
        Assert.Equal(Hits(batch.Result[2].GetProperty("points")).Select(h => h.Id), Hits(searchBatch.Result[0]).Select(h => h.Id));
        // Offset 2 is ranks 2..6 of the same exact search.
        var exact = Hits((await _host.PostAsync("/collections/q/points/query", Search(queries[3], ",\"limit\":7,\"params\":{\"exact\":true}"))).Result.GetProperty("points"));
        Assert.Equal(exact.Skip(2).Select(h => h.Id), Hits(batch.Result[3].GetProperty("points")).Select(h => h.Id));
    }

    [Fact]
    public async Task Points_round_trip_with_uuids_payload_selectors_vectors_and_payload_writes()
    {
        await _host.CreateCollectionAsync("p", 3, "Euclid");
        const string uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
        (await _host.PutAsync("/collections/p/points", $$$"""
            {"batch":{"ids":[1,"{{{uuid.ToUpperInvariant()}}}",2],"vectors":[[1,0,0],[0,1,0],[0,0,1]],
                      "payloads":[{"a":{"b":1,"c":2},"d":"x"},null,{"d":"y","e":[1,2]}]}}
            """)).AssertOk();
        var all = await _host.PostAsync("/collections/p/points", $$"""{"ids":[2,"{{uuid}}",1,99],"with_vector":true}""");
        Assert.Equal(3, all.Result.GetArrayLength());
        Assert.Equal(2, all.Result[0].GetProperty("id").GetInt64());
        Assert.Equal(uuid, all.Result[1].GetProperty("id").GetString());
        Assert.Equal("{}", all.Result[1].GetProperty("payload").GetRawText());
        Assert.Equal("[0,0,1]", all.Result[0].GetProperty("vector").GetRawText());

        var include = await _host.PostAsync("/collections/p/points", """{"ids":[1],"with_payload":["a.b","d"]}""");
        Assert.Equal("""{"a":{"b":1},"d":"x"}""", include.Result[0].GetProperty("payload").GetRawText());
        Assert.Equal(JsonValueKind.Null, include.Result[0].GetProperty("vector").ValueKind);
        var exclude = await _host.PostAsync("/collections/p/points", """{"ids":[1],"with_payload":{"exclude":["a.c"]}}""");
        Assert.Equal("""{"a":{"b":1},"d":"x"}""", exclude.Result[0].GetProperty("payload").GetRawText());
        var none = await _host.PostAsync("/collections/p/points", """{"ids":[1],"with_payload":false}""");
        Assert.Equal(JsonValueKind.Null, none.Result[0].GetProperty("payload").ValueKind);
        var one = await _host.GetAsync($"/collections/p/points/{uuid}");
        Assert.Equal("[0,1,0]", one.Result.GetProperty("vector").GetRawText());

        // Scroll: integers first, then the UUID; pages link by next_page_offset.
        var page1 = await _host.PostAsync("/collections/p/points/scroll", """{"limit":2}""");
        Assert.Equal([1L, 2L], page1.Result.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()));
        Assert.Equal(uuid, page1.Result.GetProperty("next_page_offset").GetString());
        var page2 = await _host.PostAsync("/collections/p/points/scroll", $$"""{"limit":2,"offset":"{{uuid}}"}""");
        Assert.Equal(JsonValueKind.Null, page2.Result.GetProperty("next_page_offset").ValueKind);
        Assert.Equal(1, page2.Result.GetProperty("points").GetArrayLength());

        // Payload writes, by ids and by filter.
        (await _host.PostAsync("/collections/p/points/payload", """{"payload":{"d":"z","f":true},"points":[1]}""")).AssertOk();
        Assert.Equal("""{"a":{"b":1,"c":2},"d":"z","f":true}""", (await _host.GetAsync("/collections/p/points/1")).Result.GetProperty("payload").GetRawText());
        (await _host.PutAsync("/collections/p/points/payload", """{"payload":{"only":1},"filter":{"must":[{"key":"d","match":{"value":"y"}}]}}""")).AssertOk();
        Assert.Equal("""{"only":1}""", (await _host.GetAsync("/collections/p/points/2")).Result.GetProperty("payload").GetRawText());
        (await _host.PostAsync("/collections/p/points/payload/delete", """{"keys":["a","f"],"points":[1]}""")).AssertOk();
        Assert.Equal("""{"d":"z"}""", (await _host.GetAsync("/collections/p/points/1")).Result.GetProperty("payload").GetRawText());
        (await _host.PostAsync("/collections/p/points/payload/clear", """{"filter":{"must":[{"has_id":[1,2]}]}}""")).AssertOk();
        Assert.Equal(0, (await _host.PostAsync("/collections/p/points/count", """{"filter":{"must_not":[{"is_empty":{"key":"d"}}]}}""")).Result.GetProperty("count").GetInt32());

        // Euclid search returns distances, nearest first; with_vector returns the stored vector.
        var near = await _host.PostAsync("/collections/p/points/query", """{"query":[0.9,0.1,0],"limit":2,"with_vector":true,"with_payload":true}""");
        var points = near.Result.GetProperty("points");
        Assert.Equal(1, points[0].GetProperty("id").GetInt64());
        Assert.Equal(Math.Sqrt(0.02), points[0].GetProperty("score").GetDouble(), 1e-5);
        Assert.Equal(0, points[0].GetProperty("version").GetInt32());
        Assert.Equal("[1,0,0]", points[0].GetProperty("vector").GetRawText());

        // Deletes: by id (unknown ids ignored), then by filter.
        (await _host.PostAsync("/collections/p/points/delete", """{"points":[2,12345]}""")).AssertOk();
        (await _host.PostAsync("/collections/p/points/delete", $$$"""{"filter":{"must":[{"has_id":["{{{uuid}}}"]}]}}""")).AssertOk();
        Assert.Equal(1, (await _host.PostAsync("/collections/p/points/count", "")).Result.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Collections_list_exist_info_index_and_delete()
    {
        Assert.Equal(0, (await _host.GetAsync("/collections")).Result.GetProperty("collections").GetArrayLength());
        await _host.CreateCollectionAsync("one", 4, "Cosine",
            ""","hnsw_config":{"m":32},"optimizers_config":{"indexing_threshold":0},"on_disk_payload":true,"shard_number":1,"sparse_vectors":{}""");
        await _host.CreateCollectionAsync("two", 4, "Dot");
        var list = await _host.GetAsync("/collections");
        Assert.Equal(["one", "two"], list.Result.GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.True((await _host.GetAsync("/collections/one/exists")).Result.GetProperty("exists").GetBoolean());

        (await _host.PutAsync("/collections/one/points", """{"points":[{"id":1,"vector":[1,2,3,4],"payload":{"tag":"x","n":3}},{"id":2,"vector":[4,3,2,1],"payload":{"n":4}}]}""")).AssertOk();
        var index = await _host.PutAsync("/collections/one/index?wait=true", """{"field_name":"tag","field_schema":"keyword"}""");
        index.AssertOk();
        Assert.Equal("completed", index.Result.GetProperty("status").GetString());
        Assert.True(index.Result.GetProperty("operation_id").GetInt64() >= 1);
        (await _host.PutAsync("/collections/one/index", """{"field_name":"n","field_schema":{"type":"integer","lookup":true,"range":true}}""")).AssertOk();
        var info = (await _host.GetAsync("/collections/one")).Result;
        Assert.Equal("green", info.GetProperty("status").GetString());
        Assert.Equal(2, info.GetProperty("points_count").GetInt32());
        Assert.Equal("binary", info.GetProperty("config").GetProperty("quantization_config").EnumerateObject().Single().Name);
        Assert.Equal("keyword", info.GetProperty("payload_schema").GetProperty("tag").GetProperty("data_type").GetString());
        Assert.Equal(1, info.GetProperty("payload_schema").GetProperty("tag").GetProperty("points").GetInt32());
        Assert.Equal(2, info.GetProperty("payload_schema").GetProperty("n").GetProperty("points").GetInt32());
        (await _host.SendAsync(HttpMethod.Delete, "/collections/one/index/tag")).AssertOk();
        Assert.False((await _host.GetAsync("/collections/one")).Result.GetProperty("payload_schema").TryGetProperty("tag", out _));

        var deleted = await _host.SendAsync(HttpMethod.Delete, "/collections/one");
        Assert.True(deleted.Result.GetBoolean());
        var again = await _host.SendAsync(HttpMethod.Delete, "/collections/one");
        Assert.False(again.Result.GetBoolean());
        Assert.False((await _host.GetAsync("/collections/one/exists")).Result.GetProperty("exists").GetBoolean());
        (await _host.GetAsync("/collections/one")).AssertError(HttpStatusCode.NotFound, "Collection `one` doesn't exist!");
    }

    [Fact]
    public async Task Hnsw_config_maps_onto_the_graph_and_is_echoed_and_hnsw_ef_is_validated()
    {
        await _host.CreateCollectionAsync("g", 384, "Cosine", ""","hnsw_config":{"m":8,"ef_construct":48,"full_scan_threshold":10000}""");
        await _host.CreateCollectionAsync("f", 4, "Cosine", ""","hnsw_config":{"m":0}""");
        await _host.CreateCollectionAsync("d", 4, "Cosine");
        static JsonElement Hnsw(JsonElement info) => info.GetProperty("config").GetProperty("hnsw_config");
        var g = (await _host.GetAsync("/collections/g")).Result;
        Assert.Equal(8, Hnsw(g).GetProperty("m").GetInt32());
        Assert.Equal(48, Hnsw(g).GetProperty("ef_construct").GetInt32());
        Assert.Equal(10000, Hnsw(g).GetProperty("full_scan_threshold").GetInt32()); // 6,667 points of 1.5 KB
        Assert.Equal("flat", g.GetProperty("index").GetString()); // empty: below the threshold
        var f = (await _host.GetAsync("/collections/f")).Result;
        Assert.Equal(0, Hnsw(f).GetProperty("m").GetInt32());
        var d = (await _host.GetAsync("/collections/d")).Result;
        Assert.Equal(16, Hnsw(d).GetProperty("m").GetInt32());
        Assert.Equal(CollectionOptions.DefaultGraphThreshold * 16 / 1024, Hnsw(d).GetProperty("full_scan_threshold").GetInt32());

        (await _host.PutAsync("/collections/d/points?wait=true", """{"points":[{"id":1,"vector":[1,2,3,4]},{"id":2,"vector":[4,3,2,1]}]}""")).AssertOk();
        var hits = (await _host.PostAsync("/collections/d/points/search", """{"vector":[1,2,3,4],"limit":1,"params":{"hnsw_ef":64}}""")).Result;
        Assert.Equal(1, hits[0].GetProperty("id").GetInt32());
        (await _host.PostAsync("/collections/d/points/search", """{"vector":[1,2,3,4],"limit":1,"params":{"hnsw_ef":0}}"""))
            .AssertError(HttpStatusCode.UnprocessableEntity, "hnsw_ef");
        (await _host.PutAsync("/collections/bad", """{"vectors":{"size":4,"distance":"Cosine"},"hnsw_config":{"m":500}}"""))
            .AssertError(HttpStatusCode.UnprocessableEntity, "hnsw_config.m");
    }

    [Fact]
    public async Task Root_reports_a_Qdrant_version_clients_accept()
    {
        var root = await _host.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, root.Status);
        Assert.Equal(QdrantApiVersion, root.Body.GetProperty("version").GetString());
        Assert.StartsWith("bitsieve", root.Body.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    private const string QdrantApiVersion = Qdrant.QdrantApi.CompatibleVersion;
}
