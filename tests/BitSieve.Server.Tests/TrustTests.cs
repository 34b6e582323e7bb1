using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BitSieve.Server.Tests;

/// <summary>
/// Issue 12's server items: a budget on every response, exact search never silently approximate, every valid
/// collection name, filters as large as the parser admits.
/// </summary>
public sealed class TrustTests(TrustTests.BigCollection big) : IClassFixture<TrustTests.BigCollection>
{
    private const int Dim = 256, Points = 2_000, Few = 20;
    private readonly ServerHost _host = big.Host;

    /// <summary>One server for the class, with collection <c>big</c>: 2,000 random 256-dimensional points, payload <c>n</c> = id.</summary>
    public sealed class BigCollection : IAsyncLifetime
    {
        public ServerHost Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Host = await ServerHost.StartAsync();
            await Host.CreateCollectionAsync("big", Dim);
            var random = new Random(12);
            for (int start = 0; start < Points; start += 500)
            {
                var points = new JsonArray();
                for (int i = start; i < start + 500; i++)
                    points.Add(new JsonObject { ["id"] = i, ["vector"] = new JsonArray([.. Enumerable.Range(0, Dim).Select(_ => (JsonNode)(float)(random.NextDouble() - 0.5))]), ["payload"] = new JsonObject { ["n"] = i } });
                (await Host.PutAsync("/collections/big/points", new JsonObject { ["points"] = points }.ToJsonString())).AssertOk();
            }

            await Host.CreateCollectionAsync("few", 4);
            var few = new JsonArray([.. Enumerable.Range(0, Few).Select(i => (JsonNode)new JsonObject { ["id"] = i, ["vector"] = new JsonArray(1, i, 2, 3), ["payload"] = new JsonObject { ["n"] = i } })]);
            (await Host.PutAsync("/collections/few/points", new JsonObject { ["points"] = few }.ToJsonString())).AssertOk();
        }

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private static string Vector(int seed) =>
        "[" + string.Join(",", Enumerable.Range(0, Dim).Select(i => ((i * 7 + seed) % 13 - 6).ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Counts the searches the server runs on collection <c>big</c> (its <c>bitsieve.searches</c> counter) while it lives.</summary>
    private sealed class SearchCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public SearchCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Metrics.ServerMetrics.MeterName && instrument.Name == "bitsieve.searches") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == "collection" && tag.Value is "big") Interlocked.Add(ref _count, value);
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    [Theory]
    [InlineData("/collections/big/points/search/batch", false)]
    [InlineData("/collections/big/points/query/batch", true)]
    public async Task A_batch_of_256_searches_of_limit_10000_with_vectors_is_refused_before_any_search_runs(string path, bool query)
    {
        var searches = Enumerable.Range(0, 256).Select(i => query
            ? $$"""{"query":{{Vector(i)}},"limit":10000,"with_vector":true,"with_payload":true}"""
            : $$"""{"vector":{{Vector(i)}},"limit":10000,"with_vector":true,"with_payload":true}""");
        using var counter = new SearchCounter();
        var response = await _host.PostAsync(path, "{\"searches\":[" + string.Join(",", searches) + "]}");
        response.AssertError(HttpStatusCode.BadRequest, "more than this server's response budget of 67108864 bytes (bitsieve serve --max-response-bytes");
        Assert.Contains($"could return {256 * Points} points", response.Error, StringComparison.Ordinal);
        // The answer would hold 512,000 vectors of 1 KiB (500 MiB): refused before the first search ran.
        Assert.Equal(0, counter.Count);

        // Without vectors, four such searches fit, and run.
        var small = Enumerable.Range(0, 4).Select(i => query ? $$"""{"query":{{Vector(i)}},"limit":10000}""" : $$"""{"vector":{{Vector(i)}},"limit":10000}""");
        (await _host.PostAsync(path, "{\"searches\":[" + string.Join(",", small) + "]}")).AssertOk();
        Assert.Equal(4, counter.Count);
    }

    [Fact]
    public async Task Scroll_retrieve_and_single_searches_are_held_to_the_budget_too()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { MaxResponseBytes = 150_000 });
        await host.CreateCollectionAsync("c", 4);
        var points = new JsonArray();
        for (int i = 0; i < 2000; i++) points.Add(new JsonObject { ["id"] = i, ["vector"] = new JsonArray(1, i, 2, 3), ["payload"] = new JsonObject { ["text"] = new string('x', 100) } });
        (await host.PutAsync("/collections/c/points", new JsonObject { ["points"] = points }.ToJsonString())).AssertOk();

        (await host.PostAsync("/collections/c/points/scroll", """{"limit":2000,"with_payload":true}""")).AssertError(HttpStatusCode.BadRequest, "this scroll page could return 2000 points");
        (await host.PostAsync("/collections/c/points/scroll", """{"limit":100,"with_payload":true}""")).AssertOk();
        string ids = "[" + string.Join(",", Enumerable.Range(0, 2000)) + "]";
        (await host.PostAsync("/collections/c/points", $$"""{"ids":{{ids}},"with_payload":true}""")).AssertError(HttpStatusCode.BadRequest, "this retrieval could return 2000 points");
        (await host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"limit":2000,"with_payload":true}""")).AssertError(HttpStatusCode.BadRequest, "this query could return 2000 points");
        (await host.PostAsync("/collections/c/points/search", """{"vector":[1,2,3,4],"limit":1900,"offset":100,"with_payload":true}""")).AssertError(HttpStatusCode.BadRequest, "this search could return 2000 points");
        (await host.PostAsync("/v1/collections/c/search", """{"query":"x","k":2000,"mode":"vector"}""")).AssertError(HttpStatusCode.BadRequest, "this search could return 2000 points");
        (await host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"limit":2000}""")).AssertOk();
    }

    [Theory]
    [InlineData("""{"exact":true,"quantization":{"oversampling":2.0}}""", "`params.quantization.oversampling` cannot be combined with `params.exact: true`")]
    [InlineData("""{"quantization":{"ignore":true,"oversampling":2.0}}""", "`params.quantization.oversampling` cannot be combined with `params.quantization.ignore: true`")]
    public async Task Exact_search_with_oversampling_is_a_400_in_every_search_request(string parameters, string message)
    {
        string vector = Vector(1);
        (await _host.PostAsync("/collections/big/points/query", $$"""{"query":{{vector}},"params":{{parameters}}}""")).AssertError(HttpStatusCode.BadRequest, message);
        (await _host.PostAsync("/collections/big/points/search", $$"""{"vector":{{vector}},"limit":3,"params":{{parameters}}}""")).AssertError(HttpStatusCode.BadRequest, message);
        (await _host.PostAsync("/collections/big/points/query/batch", "{\"searches\":[{\"query\":" + vector + ",\"params\":" + parameters + "}]}")).AssertError(HttpStatusCode.BadRequest, message.Replace("`params", "`searches[0].params", StringComparison.Ordinal));
        (await _host.PostAsync("/collections/big/points/query", "{\"query\":" + vector + ",\"params\":{\"quantization\":{\"oversampling\":2.0}}}")).AssertOk();
    }

    [Theory]
    [InlineData(212)]
    [InlineData(213)]
    [InlineData(255)]
    public async Task Collection_names_up_to_255_characters_are_created_used_and_deleted(int length)
    {
        string name = new('n', length);
        await _host.CreateCollectionAsync(name, 4);
        (await _host.PutAsync($"/collections/{name}/points", """{"points":[{"id":1,"vector":[1,2,3,4]}]}""")).AssertOk();
        Assert.Equal(1, (await _host.PostAsync($"/collections/{name}/points/count", "{}")).Result.GetProperty("count").GetInt32());
        var deleted = await _host.SendAsync(HttpMethod.Delete, $"/collections/{name}");
        deleted.AssertOk();
        Assert.True(deleted.Result.GetBoolean());
    }

    [Fact]
    public async Task A_name_too_long_for_the_database_path_is_a_422_path_validation_error_that_says_why()
    {
        string deep = Path.Combine(Path.GetTempPath(), "bitsieve-deep-" + Guid.NewGuid().ToString("N"));
        string root = deep;
        while (deep.Length < 300) deep = Path.Combine(deep, new string('d', 100));
        try
        {
            var server = BitSieveServer.Create(new ServerOptions { DatabasePath = deep[..300].TrimEnd('/'), Port = 0 });
            await using (server.ConfigureAwait(false))
            {
                await server.StartAsync();
                using var client = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
                using var content = new StringContent("""{"vectors":{"size":4,"distance":"Cosine"}}""", Encoding.UTF8, "application/json");
                var response = await client.PutAsync("/collections/" + new string('n', 255), content);
                string text = await response.Content.ReadAsStringAsync();
                // As any name the host cannot hold (a cluster's are shorter): Qdrant's path validation error.
                Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
                Assert.Contains("Validation error in path parameters: [collection_name: ", text, StringComparison.Ordinal);
                Assert.Contains("SQLite opens files at paths of at most 504 bytes", text, StringComparison.Ordinal);
                Assert.Contains("\"collections\":[]", await client.GetStringAsync("/collections"), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("must", 1_000)]
    [InlineData("should", 1_000)]
    [InlineData("must_not", 1_000)]
    [InlineData("must", 1_024)]
    public async Task A_filter_of_a_thousand_conditions_is_answered(string clause, int conditions)
    {
        var items = new JsonArray();
        for (int i = 0; i < conditions; i++)
            items.Add(new JsonObject { ["key"] = "n", ["match"] = new JsonObject { [clause == "must" ? "except" : "any"] = new JsonArray(i + 100_000) } });
        if (clause == "should") items.Add(new JsonObject { ["key"] = "n", ["match"] = new JsonObject { ["value"] = 7 } });
        var filter = new JsonObject { [clause] = items }.ToJsonString();
        foreach (string path in new[] { "/collections/few/points/count", "/collections/few/points/scroll" })
        {
            var response = await _host.PostAsync(path, $$"""{"filter":{{filter}},"limit":10000}""");
            response.AssertOk();
        }
        var count = await _host.PostAsync("/collections/few/points/count", $$"""{"filter":{{filter}}}""");
        Assert.Equal(clause == "should" ? 1 : Few, count.Result.GetProperty("count").GetInt32());
        var search = await _host.PostAsync("/collections/few/points/query", "{\"query\":[1,2,3,4],\"limit\":5,\"params\":{\"exact\":true},\"filter\":" + filter + "}");
        search.AssertOk();
        Assert.Equal(clause == "should" ? 1 : 5, search.Result.GetProperty("points").GetArrayLength());
    }

    [Fact]
    public async Task A_filter_of_ten_thousand_conditions_or_nested_too_deep_is_a_400_naming_the_limit()
    {
        var items = new JsonArray();
        for (int i = 0; i < 10_000; i++) items.Add(new JsonObject { ["key"] = "n", ["match"] = new JsonObject { ["value"] = i } });
        var response = await _host.PostAsync("/collections/big/points/count", new JsonObject { ["filter"] = new JsonObject { ["should"] = items } }.ToJsonString());
        response.AssertError(HttpStatusCode.BadRequest, "1024");

        JsonObject deep = new() { ["must"] = new JsonArray(new JsonObject { ["key"] = "n", ["match"] = new JsonObject { ["value"] = 3 } }) };
        for (int depth = 1; depth < 40; depth++) deep = new JsonObject { ["must"] = new JsonArray(deep) };
        response = await _host.PostAsync("/collections/big/points/count", new JsonObject { ["filter"] = deep }.ToJsonString());
        response.AssertError(HttpStatusCode.BadRequest, "nested deeper than 32 levels");
        Assert.Equal(JsonValueKind.Object, response.Body.ValueKind);
    }
}
