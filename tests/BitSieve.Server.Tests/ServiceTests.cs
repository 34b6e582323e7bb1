using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BitSieve.Server.Tests;

/// <summary>
/// /metrics, /healthz, /readyz, the OpenAPI document and the reference page. Not run in parallel with other tests:
/// OpenTelemetry listens to meters by name across the process, so another server's requests would show up here.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed partial class ServiceTests : IAsyncLifetime
{
    private ServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Metrics_show_request_counts_latency_histograms_points_per_collection_and_bytes_per_tier()
    {
        await _host.CreateCollectionAsync("docs", 8);
        await _host.CreateCollectionAsync("notes", 8, "Dot", ""","quantization_config":{"scalar":{"type":"int8"}}""");
        var points = string.Join(",", Enumerable.Range(0, 30).Select(i => $$"""{"id":{{i}},"vector":[{{string.Join(",", Enumerable.Range(0, 8).Select(j => ((i * 7 + j * 3) % 11) - 5 + 0.5))}}]}"""));
        (await _host.PutAsync("/collections/docs/points", $$"""{"points":[{{points}}]}""")).AssertOk();
        for (int i = 0; i < 3; i++)
            (await _host.PostAsync("/collections/docs/points/query", """{"query":[1,2,3,4,5,6,7,8],"limit":3}""")).AssertOk();
        (await _host.PostAsync("/collections/docs/points/query", """{"query":[1,2,3,4,5,6,7,8],"limit":3,"params":{"exact":true}}""")).AssertOk();
        await _host.GetAsync("/collections/missing");

        var response = await _host.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(30, Sample(text, "bitsieve_collection_points", "collection=\"docs\""));
        Assert.Equal(0, Sample(text, "bitsieve_collection_points", "collection=\"notes\""));
        Assert.True(Sample(text, "bitsieve_collection_tier_size_bytes", "collection=\"docs\"", "tier=\"t1\"") > 0);
        Assert.Equal(30 * 8 * 4, Sample(text, "bitsieve_collection_tier_size_bytes", "collection=\"docs\"", "tier=\"t3\""));
        Assert.Equal(4, Sample(text, "http_server_request_duration_seconds_count", "http_route=\"/collections/{collection_name}/points/query\"", "http_response_status_code=\"200\""));
        Assert.Equal(1, Sample(text, "http_server_request_duration_seconds_count", "http_route=\"/collections/{collection_name}\"", "http_request_method=\"GET\"", "http_response_status_code=\"404\""));
        Assert.Contains("http_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Equal(3, Sample(text, "bitsieve_searches_total", "collection=\"docs\"", "mode=\"cascade\""));
        Assert.Equal(1, Sample(text, "bitsieve_searches_total", "collection=\"docs\"", "mode=\"exact\""));
        Assert.Equal(4, Sample(text, "bitsieve_search_originals_read_count", "collection=\"docs\""));
    }

    /// <summary>The sum of the samples of a metric whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sample(string exposition, string metric, params string[] labels)
    {
        double sum = 0;
        bool found = false;
        foreach (Match m in SampleLine().Matches(exposition))
        {
            if (m.Groups["name"].Value != metric) continue;
            string labelText = m.Groups["labels"].Value;
            if (!labels.All(l => labelText.Contains(l, StringComparison.Ordinal))) continue;
            sum += double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            found = true;
        }
        Assert.True(found, $"no sample of {metric} with {string.Join(", ", labels)} in:\n{exposition}");
        return sum;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>.*)\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();

    [Fact]
    public async Task Health_endpoints_answer_as_Qdrant()
    {
        Assert.Equal("healthz check passed", await _host.Client.GetStringAsync("/healthz"));
        Assert.Equal("healthz check passed", await _host.Client.GetStringAsync("/livez"));
        Assert.Equal("all shards are ready", await _host.Client.GetStringAsync("/readyz"));
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_every_endpoint_with_examples_and_the_reference_page_renders_it()
    {
        using var document = JsonDocument.Parse(await _host.Client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        foreach (string path in new[]
        {
            "/", "/collections", "/collections/{collection_name}", "/collections/{collection_name}/exists", "/collections/{collection_name}/index",
            "/collections/{collection_name}/points", "/collections/{collection_name}/points/delete", "/collections/{collection_name}/points/payload",
            "/collections/{collection_name}/points/payload/delete", "/collections/{collection_name}/points/payload/clear",
            "/collections/{collection_name}/points/scroll", "/collections/{collection_name}/points/count", "/collections/{collection_name}/points/query",
            "/collections/{collection_name}/points/query/batch", "/collections/{collection_name}/points/search", "/collections/{collection_name}/points/search/batch",
            "/healthz", "/readyz",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        }
        var query = paths.GetProperty("/collections/{collection_name}/points/query").GetProperty("post");
        Assert.Contains("exact", query.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, query.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("query").ValueKind);
        Assert.False(paths.TryGetProperty("/collections/{collection_name}/points/recommend", out _), "unsupported endpoints are not documented");

        var page = await _host.Client.GetAsync("/docs");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }
}

/// <summary>Tests that read process-wide metrics run alone.</summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;
