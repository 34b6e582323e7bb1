using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BitSieve.Server;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// The Qdrant REST API of a silo is the single node's (the same handlers over the cluster's <see cref="IDatabase"/>):
/// one sequence of requests, sent to a single-node server and to a silo of two (a collection of 3 shards × 2 replicas),
/// gets the same status codes and the same bodies, errors included. Only what differs by design is set aside: the
/// <c>time</c> of every answer, a write's <c>operation_id</c> (a single node's log sequence, a cluster's highest shard
/// sequence), and the sharding a collection's info reports. Exact searches are compared as ids and scores in order
/// (ties, which the fixture's duplicate texts make, may order differently across shards) and each hit's payload.
/// </summary>
public sealed class ClusterQdrantApiTests : IClassFixture<ClusterClientTests.TwoSilos>, IAsyncLifetime
{
    private const int Rows = 300;
    private const string Group2 = """{"must":[{"key":"group","match":{"value":2}}]}""";
    private readonly ClusterClientTests.TwoSilos _silos;
    private readonly TempDirectory _dir = new();
    private BitSieveServer _single = null!;
    private HttpClient _singleHttp = null!;
    private HttpClient _siloHttp = null!;

    public ClusterQdrantApiTests(ClusterClientTests.TwoSilos silos) => _silos = silos;

    public async Task InitializeAsync()
    {
        _single = BitSieveServer.Create(new ServerOptions { DatabasePath = _dir.Path, Port = ClusterData.FreePort(), GrpcPort = null },
            logging => logging.SetMinimumLevel(LogLevel.Error));
        await _single.StartAsync();
        _singleHttp = new HttpClient { BaseAddress = new Uri(_single.Addresses[0]) };
        _siloHttp = new HttpClient { BaseAddress = new Uri(_silos.HttpAddress) };
    }

    public async Task DisposeAsync()
    {
        _siloHttp.Dispose();
        _singleHttp.Dispose();
        await _single.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_silo_answers_a_sequence_of_Qdrant_requests_as_a_single_node_does()
    {
        var create = ClusterData.CreateBody(shards: 3, replication: 2);
        await SameAsync(HttpMethod.Put, "/collections/qdrant", create.ToJsonString(), HttpStatusCode.OK);
        await SameAsync(HttpMethod.Put, "/collections/qdrant", create.ToJsonString(), HttpStatusCode.BadRequest); // it exists
        await SameAsync(HttpMethod.Put, "/collections/bad%20name", create.ToJsonString(), HttpStatusCode.UnprocessableEntity);
        await SameAsync(HttpMethod.Put, "/collections/zero", ClusterData.CreateBody(shards: 0, replication: 1).ToJsonString(), HttpStatusCode.UnprocessableEntity);
        foreach (var http in new[] { _singleHttp, _siloHttp }) await ClusterData.UpsertAsync(http, "qdrant", Rows, batch: 150);
        await SameAsync(HttpMethod.Put, "/collections/qdrant/index", """{"field_name":"group","field_schema":"integer"}""", HttpStatusCode.OK);

        // The collection's info: the same points and payload schema; the silo reports its sharding, the single node one shard.
        var singleInfo = (await SameStatusAsync(HttpMethod.Get, "/collections/qdrant", null, HttpStatusCode.OK)).Single;
        var siloInfo = await SendAsync(_siloHttp, HttpMethod.Get, "/collections/qdrant", null);
        Assert.Equal(Rows, siloInfo.Body["result"]!["points_count"]!.GetValue<long>());
        Assert.Equal(ClusterData.Json(singleInfo["result"]!["payload_schema"]!), ClusterData.Json(siloInfo.Body["result"]!["payload_schema"]!));
        var parameters = siloInfo.Body["result"]!["config"]!["params"]!;
        Assert.Equal((3, 2), (parameters["shard_number"]!.GetValue<int>(), parameters["replication_factor"]!.GetValue<int>()));
        Assert.Equal(1, singleInfo["result"]!["config"]!["params"]!["shard_number"]!.GetValue<int>());

        // Exact searches, with and without a filter, through /points/search and /points/query.
        float[] query = ClusterData.Row(MiniLmFixture.Queries, 0);
        var vector = new JsonArray(query.Select(x => (JsonNode)x).ToArray());
        await SameHitsAsync("/collections/qdrant/points/search", new JsonObject { ["vector"] = vector.DeepClone(), ["limit"] = 10, ["params"] = new JsonObject { ["exact"] = true }, ["with_payload"] = true }, h => h);
        await SameHitsAsync("/collections/qdrant/points/search", new JsonObject { ["vector"] = vector.DeepClone(), ["limit"] = 10, ["params"] = new JsonObject { ["exact"] = true }, ["filter"] = JsonNode.Parse(Group2), ["with_payload"] = true }, h => h);
        await SameHitsAsync("/collections/qdrant/points/query", new JsonObject { ["query"] = vector.DeepClone(), ["limit"] = 5, ["offset"] = 3, ["params"] = new JsonObject { ["exact"] = true }, ["filter"] = JsonNode.Parse(Group2), ["with_payload"] = true }, h => h["points"]!);

        // Scroll and count, then deletes by id and by filter, and the same scroll and count again.
        const string scroll = """{"limit":25,"offset":40,"filter":{"must":[{"key":"group","match":{"value":1}}]},"with_payload":true}""";
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/scroll", scroll, HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/count", $$"""{"filter":{{Group2}}}""", HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/delete", """{"points":[41,46,51,99999]}""", HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/delete", $$"""{"filter":{{Group2}}}""", HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/scroll", scroll, HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/count", "{}", HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/payload", """{"payload":{"tag":"a"},"points":[10,11]}""", HttpStatusCode.OK);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points", """{"ids":[11,10,12],"with_payload":true}""", HttpStatusCode.OK);

        // The payload index dropped: the same (empty) schema.
        await SameAsync(HttpMethod.Delete, "/collections/qdrant/index/group", null, HttpStatusCode.OK);
        var afterDrop = await SameStatusAsync(HttpMethod.Get, "/collections/qdrant", null, HttpStatusCode.OK);
        Assert.Equal(ClusterData.Json(afterDrop.Single["result"]!["payload_schema"]!), ClusterData.Json(afterDrop.Silo["result"]!["payload_schema"]!));
        Assert.Equal(afterDrop.Single["result"]!["points_count"]!.GetValue<long>(), afterDrop.Silo["result"]!["points_count"]!.GetValue<long>());

        // Errors: a malformed body, a wrong dimension (search and upsert), an unknown collection, a point that does not exist.
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/search", """{"vector":[0.1,0.2""", HttpStatusCode.BadRequest);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/search", """{"vector":"near","limit":3}""", HttpStatusCode.BadRequest);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/search", """{"vector":[0.1,0.2,0.3],"limit":3}""", HttpStatusCode.BadRequest);
        await SameAsync(HttpMethod.Put, "/collections/qdrant/points", """{"points":[{"id":1,"vector":[0.1,0.2,0.3]}]}""", HttpStatusCode.BadRequest);
        await SameAsync(HttpMethod.Post, "/collections/none/points/count", "{}", HttpStatusCode.NotFound);
        await SameAsync(HttpMethod.Get, "/collections/qdrant/points/123456", null, HttpStatusCode.NotFound);
        await SameAsync(HttpMethod.Post, "/collections/qdrant/points/payload", """{"payload":{"tag":"b"},"points":[10,424242]}""", HttpStatusCode.NotFound);

        await SameAsync(HttpMethod.Delete, "/collections/qdrant", null, HttpStatusCode.OK);
        await SameAsync(HttpMethod.Get, "/collections/qdrant", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_cluster_collection_reports_its_write_consistency_factor_and_1_when_the_create_leaves_it_out()
    {
        var given = ClusterData.CreateBody(shards: 2, replication: 2);
        given["write_consistency_factor"] = 2;
        foreach (var (name, body, factor) in new[] { ("unset", ClusterData.CreateBody(shards: 2, replication: 2), 1), ("given", given, 2) })
        {
            var (status, answer) = await SendAsync(_siloHttp, HttpMethod.Put, $"/collections/{name}", body.ToJsonString());
            Assert.True(status == HttpStatusCode.OK, $"the silo answered {(int)status} {ClusterData.Json(answer)}");
            var info = await SendAsync(_siloHttp, HttpMethod.Get, $"/collections/{name}", null);
            Assert.Equal(factor, info.Body["result"]!["config"]!["params"]!["write_consistency_factor"]!.GetValue<int>());
            await SendAsync(_siloHttp, HttpMethod.Delete, $"/collections/{name}", null);
        }
    }

    [Fact]
    public async Task A_name_too_long_for_the_cluster_is_a_validation_error_of_the_path_as_any_invalid_name()
    {
        // Valid for a single node (Qdrant's 1-255 characters), too long for a cluster's replicas (NAME.shard-N).
        string name = new('n', BitSieve.Cluster.Client.BitSieveCluster.MaxNameLength + 1);
        var (status, body) = await SendAsync(_siloHttp, HttpMethod.Put, $"/collections/{name}", ClusterData.CreateBody(shards: 1, replication: 1).ToJsonString());
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"the silo answered {(int)status} {ClusterData.Json(body)}");
        Assert.StartsWith("Validation error in path parameters: [collection_name: ", body["status"]!["error"]!.GetValue<string>());
        Assert.Contains($"at most {BitSieve.Cluster.Client.BitSieveCluster.MaxNameLength}", body["status"]!["error"]!.GetValue<string>());
        Assert.False((await SendAsync(_siloHttp, HttpMethod.Get, $"/collections/{name}/exists", null)).Body["result"]!["exists"]!.GetValue<bool>());
    }

    /// <summary>Sends the request to both; asserts the status code and the bodies equal (without <c>time</c> and <c>operation_id</c>).</summary>
    private async Task SameAsync(HttpMethod method, string path, string? body, HttpStatusCode expected)
    {
        var (single, silo) = await SameStatusAsync(method, path, body, expected);
        Assert.True(ClusterData.Json(single) == ClusterData.Json(silo), $"{method} {path}: the single node answered {ClusterData.Json(single)}, the silo {ClusterData.Json(silo)}");
    }

    /// <summary>Sends the request to both; asserts the status code, and returns both bodies (without <c>time</c> and <c>operation_id</c>).</summary>
    private async Task<(JsonNode Single, JsonNode Silo)> SameStatusAsync(HttpMethod method, string path, string? body, HttpStatusCode expected)
    {
        var single = await SendAsync(_singleHttp, method, path, body);
        var silo = await SendAsync(_siloHttp, method, path, body);
        Assert.True(single.Status == expected, $"{method} {path}: the single node answered {(int)single.Status} {ClusterData.Json(single.Body)}");
        Assert.True(silo.Status == expected, $"{method} {path}: the silo answered {(int)silo.Status} {ClusterData.Json(silo.Body)}");
        return (single.Body, silo.Body);
    }

    /// <summary>An exact search on both: the same ids and scores in order (up to ties), and each hit's payload.</summary>
    private async Task SameHitsAsync(string path, JsonObject body, Func<JsonNode, JsonNode> hitsOf)
    {
        var (single, silo) = await SameStatusAsync(HttpMethod.Post, path, body.ToJsonString(), HttpStatusCode.OK);
        var singleHits = hitsOf(single["result"]!).AsArray();
        var siloHits = hitsOf(silo["result"]!).AsArray();
        Assert.NotEmpty(singleHits);
        static List<(ulong Id, float Score)> Pairs(JsonArray hits) => [.. hits.Select(h => (h!["id"]!.GetValue<ulong>(), h["score"]!.GetValue<float>()))];
        ClusterData.AssertSameAnswer(Pairs(singleHits), Pairs(siloHits), path);
        var payloads = singleHits.ToDictionary(h => h!["id"]!.GetValue<ulong>(), h => ClusterData.Json(h!["payload"]!));
        foreach (var hit in siloHits)
            Assert.Equal(payloads.GetValueOrDefault(hit!["id"]!.GetValue<ulong>()) ?? ClusterData.Json(ClusterData.Payload((int)hit["id"]!.GetValue<ulong>())), ClusterData.Json(hit["payload"]!));
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        node.AsObject().Remove("time");
        if (node["result"] is JsonObject result) result.Remove("operation_id");
        return (response.StatusCode, node);
    }
}
