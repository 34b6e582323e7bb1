using System.Net;
using System.Text.Json.Nodes;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// The point endpoints beyond upsert and search on a silo (one in process, Orleans' localhost clustering): retrieve,
/// scroll, delete, payload changes and payload indexes over a sharded collection answer as a single node's collection
/// to which the same operations were applied.
/// </summary>
public sealed class ClusterPointsTests : IAsyncLifetime
{
    private static readonly Guid[] Uuids = [new("6f1c9a52-0d1e-4c56-9d7b-1a2b3c4d5e6f"), new("00000000-0000-4000-8000-000000000001"), new("ffffffff-0000-4000-8000-000000000002")];

    private LocalSilo _local = null!;

    public async Task InitializeAsync() => _local = await LocalSilo.StartAsync();

    public async Task DisposeAsync() => await _local.DisposeAsync();

    [Fact]
    public async Task Retrieve_and_scroll_over_four_shards_answer_as_a_single_node()
    {
        const int rows = 600;
        using var reference = new TempDirectory();
        using var database = Database.Open(reference.Path);
        var single = await CreateBothAsync(database, shards: 4, rows);

        // Retrieval: in the order asked, duplicates once, unknown ids left out, payloads and vectors as stored.
        PointId[] ids = [5, 999_999, 3, 5, Uuids[0], 100];
        var body = new JsonObject { ["ids"] = new JsonArray(ids.Select(Json).ToArray()), ["with_payload"] = true, ["with_vector"] = true };
        var retrieved = (await ClusterData.SendAsync(_local.Http, HttpMethod.Post, "/collections/docs/points", body))["result"]!.AsArray();
        var expected = single.Retrieve(ids, withPayload: true, withVector: true);
        Assert.Equal(expected.Select(p => p.Id.ToString()), retrieved.Select(r => IdText(r!["id"]!)));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Payload!.ToJsonString(), retrieved[i]!["payload"]!.ToJsonString());
            Assert.Equal(expected[i].Vector, retrieved[i]!["vector"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray());
        }

        var one = (await ClusterData.SendAsync(_local.Http, HttpMethod.Get, "/collections/docs/points/7"))["result"]!;
        Assert.Equal(single.Retrieve([7])[0].Payload!.ToJsonString(), one["payload"]!.ToJsonString());
        var missing = await ClusterData.SendAsync(_local.Http, HttpMethod.Get, "/collections/docs/points/123456", expected: HttpStatusCode.NotFound);
        Assert.Contains("No point with id 123456 found", ClusterData.Json(missing), StringComparison.Ordinal);

        // Scroll: page by page the same points and the same next_page_offset, filtered and not, integers then UUIDs.
        await AssertSameScrollAsync(single, limit: 37, group: 2);
        await AssertSameScrollAsync(single, limit: 100, group: null);
        await AssertSameScrollAsync(single, limit: 1000, group: null);
    }

    [Fact]
    public async Task Deletes_payload_changes_and_indexes_apply_over_three_shards_as_on_a_single_node()
    {
        const int rows = 400;
        using var reference = new TempDirectory();
        using var database = Database.Open(reference.Path);
        var single = await CreateBothAsync(database, shards: 3, rows);
        const string group4 = """{"must":[{"key":"group","match":{"value":4}}]}""";
        const string group1 = """{"must":[{"key":"group","match":{"value":1}}]}""";

        await Post("/points/delete", new JsonObject { ["points"] = new JsonArray(1, 2, 3, 99_999) });
        single.Delete([1, 2, 3, 99_999]);
        await Post("/points/delete", new JsonObject { ["filter"] = JsonNode.Parse(group4) });
        single.Delete(Filter.Parse(group4));

        await Post("/points/payload", new JsonObject { ["payload"] = new JsonObject { ["tag"] = "a" }, ["points"] = new JsonArray(10, 11, 12, Json(Uuids[1])) });
        single.SetPayload(new PointId[] { 10, 11, 12, Uuids[1] }, new JsonObject { ["tag"] = "a" });
        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs/points/payload", new JsonObject { ["payload"] = new JsonObject { ["only"] = 1 }, ["filter"] = JsonNode.Parse(group1) });
        single.OverwritePayload(Filter.Parse(group1), new JsonObject { ["only"] = 1 });
        await Post("/points/payload/delete", new JsonObject { ["keys"] = new JsonArray("row"), ["points"] = new JsonArray(20, 22) });
        single.DeletePayloadKeys(new PointId[] { 20, 22 }, ["row"]);
        await Post("/points/payload/clear", new JsonObject { ["points"] = new JsonArray(30) });
        single.ClearPayload(new PointId[] { 30 });

        // A payload change naming a point that does not exist is a 404 naming it, and changes nothing anywhere.
        var refused = await ClusterData.SendAsync(_local.Http, HttpMethod.Post, "/collections/docs/points/payload",
            new JsonObject { ["payload"] = new JsonObject { ["late"] = true }, ["points"] = new JsonArray(10, 424_242) }, HttpStatusCode.NotFound);
        Assert.Contains("No point with id 424242 found", ClusterData.Json(refused), StringComparison.Ordinal);

        Assert.Equal(single.Count, await ClusterData.CountAsync(_local.Http, "docs"));
        await AssertSameScrollAsync(single, limit: 1000, group: null);

        // A payload index on every shard: a keyword index on `tag`, then a filtered count through it, then dropped.
        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs/index", new JsonObject { ["field_name"] = "tag", ["field_schema"] = "keyword" });
        var tagged = await ClusterData.SendAsync(_local.Http, HttpMethod.Post, "/collections/docs/points/count",
            new JsonObject { ["filter"] = JsonNode.Parse("""{"must":[{"key":"tag","match":{"value":"a"}}]}""") });
        Assert.Equal(single.CountPoints(Filter.Parse("""{"must":[{"key":"tag","match":{"value":"a"}}]}""")), tagged["result"]!["count"]!.GetValue<long>());
        await ClusterData.SendAsync(_local.Http, HttpMethod.Delete, "/collections/docs/index/tag");
        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs/index", new JsonObject { ["field_name"] = "tag", ["field_schema"] = "geo" }, HttpStatusCode.BadRequest);
    }

    /// <summary>The fixture's first <paramref name="rows"/> rows and three UUID points, in a sharded collection and in a single node's.</summary>
    private async Task<Collection> CreateBothAsync(Database database, int shards, int rows)
    {
        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards, replication: 1));
        await ClusterData.UpsertAsync(_local.Http, "docs", rows);
        var single = ClusterData.SingleNode(database, rows);
        var uuidPoints = Uuids.Select((u, i) => new Point(u, ClusterData.Row(MiniLmFixture.Base, rows + i), new JsonObject { ["row"] = rows + i, ["group"] = i })).ToList();
        single.Upsert(uuidPoints);
        var points = new JsonArray(uuidPoints.Select(p => (JsonNode)new JsonObject
        {
            ["id"] = Json(p.Id), ["vector"] = new JsonArray(p.Vector.ToArray().Select(x => (JsonNode)x).ToArray()), ["payload"] = p.Payload!.DeepClone(),
        }).ToArray());
        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs/points", new JsonObject { ["points"] = points });
        return single;
    }

    private Task<JsonNode> Post(string path, JsonObject body) => ClusterData.SendAsync(_local.Http, HttpMethod.Post, "/collections/docs" + path, body);

    /// <summary>Scrolls both to the end, page by page, and asserts every page's points, payloads and next offset equal.</summary>
    private async Task AssertSameScrollAsync(Collection single, int limit, int? group)
    {
        string? filterText = group is { } g ? $$$"""{"must":[{"key":"group","match":{"value":{{{g}}}}}]}""" : null;
        PointId? offset = null;
        int pages = 0;
        do
        {
            var expected = single.Scroll(offset, limit, filterText is null ? null : Filter.Parse(filterText), withPayload: true);
            var body = new JsonObject { ["limit"] = limit, ["with_payload"] = true };
            if (offset is { } o) body["offset"] = Json(o);
            if (filterText is not null) body["filter"] = JsonNode.Parse(filterText);
            var page = (await Post("/points/scroll", body))["result"]!;
            string what = $"scroll page {pages} (limit {limit}, group {group})";
            Assert.True(expected.Points.Select(p => p.Id.ToString()).SequenceEqual(page["points"]!.AsArray().Select(p => IdText(p!["id"]!))), what);
            Assert.True(expected.Points.Select(p => p.Payload!.ToJsonString()).SequenceEqual(page["points"]!.AsArray().Select(p => p!["payload"]!.ToJsonString())), what);
            Assert.Equal(expected.NextOffset?.ToString(), page["next_page_offset"] is { } next ? IdText(next) : null);
            offset = expected.NextOffset;
            pages++;
        }
        while (offset is not null);
        Assert.True(pages > (limit < 1000 ? 1 : 0));
    }

    private static JsonNode Json(PointId id) => id.IsUuid ? JsonValue.Create(id.ToString()) : JsonValue.Create(id.Number);

    private static string IdText(JsonNode id) => id.GetValueKind() == System.Text.Json.JsonValueKind.String ? id.GetValue<string>() : id.GetValue<ulong>().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
