using System.Net;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>
/// <c>/dashboard</c>'s routes without a browser (tests/BitSieve.Dashboard.Tests drives the page in chromium): the page
/// and its assets are open and load nothing from elsewhere, its data is behind the API key, and
/// <c>PUT /v1/collections/{c}</c> creates the text collections it offers.
/// </summary>
public sealed class DashboardRouteTests : IAsyncLifetime
{
    private ServerHost _host = null!;
    private string _bench = null!;

    public async Task InitializeAsync()
    {
        _bench = Path.Combine(Path.GetTempPath(), "bitsieve-bench-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(_bench, """{"n":10,"dim":4,"k":1,"threads":1,"queries":1,"exact":{"qps":1},"fixed":[],"cascade":{"quality":"0.995","recall":1,"qps":2}}""");
        _host = await ServerHost.StartAsync(new ServerOptions { ApiKey = "s3cret-key", BenchJsonPath = _bench });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        File.Delete(_bench);
    }

    private Task<Response> Keyed(HttpMethod method, string path, string? json = null) =>
        _host.SendAsync(method, path, json, h => h.TryAddWithoutValidation("api-key", "s3cret-key"));

    [Theory]
    [InlineData("/dashboard", "text/html", "<title>BitSieve dashboard</title>")]
    [InlineData("/dashboard/dashboard.js", "text/javascript", "sessionStorage")]
    [InlineData("/dashboard/dashboard.css", "text/css", "data-theme=\"dark\"")]
    public async Task The_page_and_its_assets_are_served_without_a_key_and_load_nothing_from_elsewhere(string path, string type, string contains)
    {
        using var response = await _host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        string policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains(contains, text, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_data_behind_the_page_needs_the_key()
    {
        (await _host.GetAsync("/dashboard/info")).AssertError(HttpStatusCode.Unauthorized, "Must provide an API key");
        (await _host.GetAsync("/dashboard/bench.json")).AssertError(HttpStatusCode.Unauthorized, "Must provide an API key");
        (await _host.GetAsync("/dashboard/other.js")).AssertError(HttpStatusCode.Unauthorized, "Must provide an API key");
        var info = await Keyed(HttpMethod.Get, "/dashboard/info");
        Assert.Equal(HttpStatusCode.OK, info.Status);
        Assert.Equal("minilm", info.Body.GetProperty("model").GetString());
        Assert.False(info.Body.GetProperty("llm").GetBoolean());
        Assert.True(info.Body.GetProperty("bench").GetBoolean());
        var bench = await Keyed(HttpMethod.Get, "/dashboard/bench.json");
        Assert.Equal(2, bench.Body.GetProperty("cascade").GetProperty("qps").GetInt32());
        (await Keyed(HttpMethod.Get, "/dashboard/other.js")).AssertError(HttpStatusCode.NotFound, "the dashboard has no asset `other.js`");
    }

    [Fact]
    public async Task A_text_collection_is_created_for_a_built_in_model_once()
    {
        var created = await Keyed(HttpMethod.Put, "/v1/collections/notes", """{"model":"minilm"}""");
        Assert.True(created.Status == HttpStatusCode.OK, created.Text);
        Assert.Equal(384, created.Body.GetProperty("dimension").GetInt32());
        var listed = (await Keyed(HttpMethod.Get, "/v1/collections")).Body.GetProperty("collections")[0];
        Assert.Equal("minilm", listed.GetProperty("model").GetString());
        Assert.Equal(0, listed.GetProperty("count").GetInt32());
        (await Keyed(HttpMethod.Put, "/v1/collections/notes", "{}")).AssertError(HttpStatusCode.Conflict, "collection `notes` already exists");
        (await Keyed(HttpMethod.Put, "/v1/collections/other", """{"model":"/etc/passwd"}"""))
            .AssertError(HttpStatusCode.BadRequest, "`model`: `/etc/passwd` is neither a built-in model");
        Assert.Equal(JsonValueKind.Array, (await Keyed(HttpMethod.Get, "/v1/collections")).Body.GetProperty("collections").ValueKind);
        Assert.Equal(1, (await Keyed(HttpMethod.Get, "/v1/collections")).Body.GetProperty("collections").GetArrayLength());
    }
}
