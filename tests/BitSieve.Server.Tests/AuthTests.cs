using System.Net;

namespace BitSieve.Server.Tests;

/// <summary>With an API key configured, requests need it (api-key header or Bearer token), as Qdrant: 401 otherwise.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private ServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync(new ServerOptions { ApiKey = "s3cret-key" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("GET", "/collections")]
    [InlineData("PUT", "/collections/x")]
    [InlineData("POST", "/collections/x/points/query")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/no/such/path")]
    public async Task Missing_key_is_a_401(string method, string path)
    {
        var response = await _host.SendAsync(new HttpMethod(method), path, "{}");
        response.AssertError(HttpStatusCode.Unauthorized, "Must provide an API key or an Authorization bearer token");
    }

    [Fact]
    public async Task Wrong_key_is_a_401_whatever_its_length()
    {
        foreach (string key in new[] { "s3cret-kez", "s", "s3cret-key-and-more", "" })
        {
            var header = await _host.SendAsync(HttpMethod.Get, "/collections", null, h => h.TryAddWithoutValidation("api-key", key));
            header.AssertError(HttpStatusCode.Unauthorized, "Invalid API key");
            var bearer = await _host.SendAsync(HttpMethod.Get, "/collections", null, h => h.TryAddWithoutValidation("Authorization", "Bearer " + key));
            bearer.AssertError(HttpStatusCode.Unauthorized, key.Length == 0 ? "" : "Invalid API key");
        }
        var basic = await _host.SendAsync(HttpMethod.Get, "/collections", null, h => h.TryAddWithoutValidation("Authorization", "Basic czNjcmV0LWtleQ=="));
        basic.AssertError(HttpStatusCode.Unauthorized, "Must provide an API key");
    }

    [Fact]
    public async Task Right_key_passes_in_either_header()
    {
        (await _host.SendAsync(HttpMethod.Get, "/collections", null, h => h.Add("api-key", "s3cret-key"))).AssertOk();
        (await _host.SendAsync(HttpMethod.Get, "/collections", null, h => h.Authorization = new("Bearer", "s3cret-key"))).AssertOk();
        var metrics = await _host.SendAsync(HttpMethod.Get, "/metrics", null, h => h.Add("api-key", "s3cret-key"));
        Assert.Equal(HttpStatusCode.OK, metrics.Status);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/livez")]
    [InlineData("/docs")]
    [InlineData("/openapi/v1.json")]
    public async Task Health_version_and_docs_need_no_key(string path)
    {
        var response = await _host.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.Status);
    }
}
