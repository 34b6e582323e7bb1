using System.Net;
using System.Text;

namespace BitSieve.Server.Tests;

/// <summary>
/// What a web page must not be able to do to a server on the same machine: send a body a browser sends without a
/// preflight (415), reach it through a DNS name it controls (400), or read or write it from another origin (CORS off).
/// </summary>
public sealed class HardeningTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private ServerHost Host => shared.Host;

    private async Task<(HttpStatusCode Status, string Text, HttpResponseMessage Response)> RawAsync(
        HttpMethod method, string path, string? body, string? contentType, Action<HttpRequestMessage>? adjust = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        adjust?.Invoke(request);
        var response = await Host.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private async Task<long> CountAsync() => (await Host.PostAsync("/collections/c/points/count", "{}")).Result.GetProperty("count").GetInt64();

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain;charset=UTF-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/jsonp")]
    public async Task A_cross_site_delete_with_a_simple_content_type_is_a_415_and_deletes_nothing(string? contentType)
    {
        long before = await CountAsync();
        var (status, text, _) = await RawAsync(HttpMethod.Post, "/collections/c/points/delete", """{"filter":{}}""", contentType);
        Assert.True(status == HttpStatusCode.UnsupportedMediaType, $"{(int)status}: {text}");
        Assert.Contains("\"error\":\"Unsupported media type: request bodies must be JSON sent with `Content-Type: application/json`", text, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON;charset=UTF8")]
    public async Task A_json_content_type_with_or_without_a_utf8_charset_is_served(string contentType)
    {
        var (status, text, _) = await RawAsync(HttpMethod.Post, "/collections/c/points/count", "{}", contentType);
        Assert.True(status == HttpStatusCode.OK, text);
        // A body-less request needs no content type.
        (status, text, _) = await RawAsync(HttpMethod.Post, "/collections/c/points/count", null, null);
        Assert.True(status == HttpStatusCode.OK, text);
    }

    [Fact]
    public async Task The_v1_routes_refuse_non_json_bodies_in_the_same_error_shape()
    {
        var (status, text, _) = await RawAsync(HttpMethod.Post, "/v1/collections/c/documents", """{"documents":[{"source":"a","text":"x"}]}""", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("{\"status\":{\"error\":\"Unsupported media type", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:6333")]
    [InlineData("127.0.0.1.attacker.example")]
    [InlineData("localhost.attacker.example")]
    [InlineData("10.0.0.1")]
    public async Task A_host_outside_the_allow_list_is_refused_naming_the_option(string host)
    {
        long before = await CountAsync();
        var (status, text, _) = await RawAsync(HttpMethod.Post, "/collections/c/points/delete", """{"filter":{}}""", "application/json",
            r => r.Headers.Host = host);
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {text}");
        Assert.Contains($"this server does not answer to `{host}`", text, StringComparison.Ordinal);
        Assert.Contains("--allowed-hosts", text, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:1234")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:6333")]
    [InlineData("[::1]")]
    [InlineData("[::1]:80")]
    public async Task Loopback_names_and_addresses_are_served_on_any_port(string host)
    {
        var (status, text, _) = await RawAsync(HttpMethod.Get, "/collections", null, null, r => r.Headers.Host = host);
        Assert.True(status == HttpStatusCode.OK, text);
    }

    [Fact]
    public async Task Cors_is_off_by_default_a_preflight_is_not_granted_and_a_foreign_origin_is_refused()
    {
        var (status, text, response) = await RawAsync(HttpMethod.Options, "/collections/c/points/delete", null, null, r =>
        {
            r.Headers.Add("Origin", "https://evil.example");
            r.Headers.Add("Access-Control-Request-Method", "POST");
            r.Headers.Add("Access-Control-Request-Headers", "content-type");
        });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("--cors-origin", text, StringComparison.Ordinal);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));

        long before = await CountAsync();
        (status, text, response) = await RawAsync(HttpMethod.Post, "/collections/c/points/delete", """{"filter":{}}""", "application/json",
            r => r.Headers.Add("Origin", "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("cross-origin requests from `https://evil.example` are not allowed", text, StringComparison.Ordinal);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(before, await CountAsync());

        // The server's own pages (/docs) send their own origin: same-origin requests pass, without CORS headers.
        (status, text, response) = await RawAsync(HttpMethod.Post, "/collections/c/points/count", "{}", "application/json",
            r => r.Headers.Add("Origin", Host.BaseAddress.GetLeftPart(UriPartial.Authority)));
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Other_hosts_and_one_cors_origin_are_allowed_when_configured()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { AllowedHosts = ["kb.example", "10.0.0.7"], CorsOrigin = "https://app.example:8080" });
        async Task<HttpResponseMessage> Send(HttpMethod method, string hostName, string? origin, bool preflight = false)
        {
            using var request = new HttpRequestMessage(method, "/collections");
            request.Headers.Host = hostName;
            if (origin is not null) request.Headers.Add("Origin", origin);
            if (preflight) request.Headers.Add("Access-Control-Request-Method", "PUT");
            return await host.Client.SendAsync(request);
        }
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "kb.example:6333", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "10.0.0.7", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Get, "localhost", null)).StatusCode);

        var preflight = await Send(HttpMethod.Options, "kb.example", "https://app.example:8080", preflight: true);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("https://app.example:8080", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("PUT", preflight.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        var get = await Send(HttpMethod.Get, "kb.example", "https://app.example:8080");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("https://app.example:8080", get.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Options, "kb.example", "https://other.example", preflight: true)).StatusCode);

        await using var any = await ServerHost.StartAsync(new ServerOptions { AllowedHosts = ["*"] });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/collections");
        request.Headers.Host = "anything.example";
        Assert.Equal(HttpStatusCode.OK, (await any.Client.SendAsync(request)).StatusCode);
    }

    [Theory]
    [InlineData("app.example")]
    [InlineData("https://app.example/path")]
    [InlineData("ftp://app.example")]
    public void A_cors_origin_that_is_not_an_origin_is_refused(string origin) =>
        Assert.Throws<ArgumentException>(() => new ServerOptions { CorsOrigin = origin }.Validate());
}
