using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>A real server (Kestrel on a free loopback port) over a temporary database, and a client for it.</summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly string _directory;

    private ServerHost(BitSieveServer server, string directory, HttpClient client)
    {
        Server = server;
        _directory = directory;
        Client = client;
    }

    public BitSieveServer Server { get; }

    public HttpClient Client { get; }

    public Uri BaseAddress => Client.BaseAddress!;

    public static async Task<ServerHost> StartAsync(ServerOptions? options = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "bitsieve-server-" + Guid.NewGuid().ToString("N"));
        options = (options ?? new ServerOptions()) with { DatabasePath = Path.Combine(directory, "db"), Port = 0 };
        var server = BitSieveServer.Create(options);
        await server.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(server.Addresses[0]), Timeout = TimeSpan.FromMinutes(2) };
        return new ServerHost(server, directory, client);
    }

    /// <summary>Sends a request with a raw JSON body; returns the status and the parsed JSON answer (undefined when not JSON).</summary>
    public async Task<Response> SendAsync(HttpMethod method, string path, string? json = null, Action<HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        headers?.Invoke(request.Headers);
        using var response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
            body = JsonDocument.Parse(text).RootElement.Clone();
        return new Response(response.StatusCode, body, text);
    }

    public Task<Response> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<Response> PostAsync(string path, string json) => SendAsync(HttpMethod.Post, path, json);

    public Task<Response> PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json);

    /// <summary>Creates a collection and upserts points; fails the test if either is refused.</summary>
    public async Task CreateCollectionAsync(string name, int dimension, string distance = "Cosine", string? extra = null)
    {
        var created = await PutAsync($"/collections/{name}", $$"""{"vectors":{"size":{{dimension}},"distance":"{{distance}}"}{{extra}}}""");
        created.AssertOk();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>An HTTP answer.</summary>
public sealed record Response(HttpStatusCode Status, JsonElement Body, string Text)
{
    /// <summary>The Qdrant <c>result</c> of a successful answer.</summary>
    public JsonElement Result => Body.GetProperty("result");

    /// <summary>The Qdrant error message of a failed answer.</summary>
    public string Error => Body.GetProperty("status").GetProperty("error").GetString()!;

    public void AssertOk()
    {
        Assert.True(Status == HttpStatusCode.OK, $"expected 200, got {(int)Status}: {Text}");
        Assert.Equal("ok", Body.GetProperty("status").GetString());
        Assert.True(Body.GetProperty("time").GetDouble() >= 0);
    }

    /// <summary>Asserts a Qdrant-shaped error: the status, <c>{"status":{"error":…},"time":…}</c>, and a message containing <paramref name="contains"/>.</summary>
    public void AssertError(HttpStatusCode status, string contains)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Text}");
        Assert.Equal(JsonValueKind.Object, Body.ValueKind);
        Assert.True(Body.GetProperty("time").GetDouble() >= 0);
        Assert.Contains(contains, Error, StringComparison.Ordinal);
    }
}
