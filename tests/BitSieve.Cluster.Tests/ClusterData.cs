using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BitSieve.Cluster.Tests;

/// <summary>The repository's real-data fixture as points with payloads, a single-node reference, and HTTP helpers.</summary>
internal static class ClusterData
{
    /// <summary>Payload of row <paramref name="row"/>: its row and a group (row mod 5) to filter on.</summary>
    public static JsonObject Payload(int row) => new() { ["row"] = row, ["group"] = row % 5 };

    public static float[] Row(float[] rows, int row) => rows.AsSpan(row * MiniLmFixture.Dimension, MiniLmFixture.Dimension).ToArray();

    /// <summary>A single-node collection of the first <paramref name="count"/> fixture rows (ids = rows).</summary>
    public static Collection SingleNode(Database database, int count)
    {
        var collection = database.CreateCollection("single", new CollectionOptions { Dimension = MiniLmFixture.Dimension });
        var points = new List<Point>();
        for (int i = 0; i < count; i++) points.Add(new Point((ulong)i, Row(MiniLmFixture.Base, i), Payload(i)));
        collection.Upsert(points);
        return collection;
    }

    /// <summary>Upserts the first <paramref name="count"/> fixture rows through the HTTP API, in batches, as ids <paramref name="idOffset"/> + row.</summary>
    public static async Task UpsertAsync(HttpClient http, string collection, int count, int batch = 250, int idOffset = 0)
    {
        for (int start = 0; start < count; start += batch)
        {
            var points = new JsonArray();
            for (int i = start; i < Math.Min(count, start + batch); i++)
                points.Add(new JsonObject { ["id"] = idOffset + i, ["vector"] = new JsonArray(Row(MiniLmFixture.Base, i).Select(x => (JsonNode)x).ToArray()), ["payload"] = Payload(i) });
            await SendAsync(http, HttpMethod.Put, $"/collections/{collection}/points", new JsonObject { ["points"] = points });
        }
    }

    public static async Task<JsonNode> SendAsync(HttpClient http, HttpMethod method, string path, JsonNode? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>An exact (or default-quality) search through the HTTP API: (id, score) pairs, best first.</summary>
    public static async Task<List<(ulong Id, float Score)>> SearchAsync(HttpClient http, string collection, float[] vector, int limit, bool exact, int? group = null)
    {
        var answer = await SendAsync(http, HttpMethod.Post, $"/collections/{collection}/points/search", SearchBody(vector, limit, exact, group));
        return answer["result"]!.AsArray().Select(h => (h!["id"]!.GetValue<ulong>(), h["score"]!.GetValue<float>())).ToList();
    }

    /// <summary>The body of a search request (<c>/points/search</c>), filtered to one group when given.</summary>
    public static JsonObject SearchBody(float[] vector, int limit, bool exact, int? group = null)
    {
        var body = new JsonObject
        {
            ["vector"] = new JsonArray(vector.Select(x => (JsonNode)x).ToArray()),
            ["limit"] = limit,
            ["params"] = new JsonObject { ["exact"] = exact },
        };
        if (group is { } g) body["filter"] = JsonNode.Parse($$$"""{"must":[{"key":"group","match":{"value":{{{g}}}}}]}""");
        return body;
    }

    /// <summary>The single node's answer to the same search.</summary>
    public static List<(ulong Id, float Score)> Reference(Collection single, float[] vector, int limit, bool exact, int? group = null)
    {
        var filter = group is { } g ? Filter.Parse($$$"""{"must":[{"key":"group","match":{"value":{{{g}}}}}]}""") : null;
        var result = single.Search(vector, new SearchOptions { K = limit, Quality = exact ? Quality.Exact : Quality.Default }, filter, withPayload: false);
        return result.Hits.Select(h => (h.Id.Number, h.Score)).ToList();
    }

    /// <summary>
    /// Asserts two exact answers equal: the same scores in order, and the same ids wherever the score is not tied
    /// with a neighbour or with the last hit (the fixture has duplicate texts, and the tests add copies of rows under new
    /// ids: the order among equal scores is not defined across shards).
    /// </summary>
    public static void AssertSameAnswer(List<(ulong Id, float Score)> expected, List<(ulong Id, float Score)> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} hits, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - actual[i].Score) <= 1e-5f, $"{what}: hit {i} scores {actual[i].Score}, expected {expected[i].Score}");
            // Tied with a neighbour, or with the k-th score (a tie partner may lie just past the end of the list).
            bool tied = (i > 0 && expected[i - 1].Score == expected[i].Score) || (i + 1 < expected.Count && expected[i + 1].Score == expected[i].Score)
                || expected[i].Score == expected[^1].Score;
            if (!tied) Assert.True(expected[i].Id == actual[i].Id, $"{what}: hit {i} is {actual[i].Id}, expected {expected[i].Id}");
        }
    }

    /// <summary>Whether two vectors point the same way (the engine may keep a cosine collection's vectors normalized).</summary>
    public static bool SameDirection(float[] expected, float[] actual)
    {
        if (expected.Length != actual.Length) return false;
        double dot = 0, ee = 0, aa = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            dot += (double)expected[i] * actual[i];
            ee += (double)expected[i] * expected[i];
            aa += (double)actual[i] * actual[i];
        }
        return dot / Math.Sqrt(ee * aa) > 0.99999;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <paramref name="limit"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s waiting for {what}.");
            await Task.Delay(200);
        }
    }

    public static JsonObject CreateBody(int shards, int replication) => new()
    {
        ["vectors"] = new JsonObject { ["size"] = MiniLmFixture.Dimension, ["distance"] = "Cosine" },
        ["shard_number"] = shards,
        ["replication_factor"] = replication,
    };

    public static async Task<long> CountAsync(HttpClient http, string collection) =>
        (await SendAsync(http, HttpMethod.Post, $"/collections/{collection}/points/count", new JsonObject()))["result"]!["count"]!.GetValue<long>();

    public static string Json(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
