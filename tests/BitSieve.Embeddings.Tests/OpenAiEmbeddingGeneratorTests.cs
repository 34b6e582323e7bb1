using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.OpenAi;
using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings.Tests;

/// <summary>An OpenAI-style embeddings server on a real local socket (HttpListener), recording what it receives.</summary>
internal sealed class LocalEmbeddingServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public LocalEmbeddingServer(Func<Request, (int Status, string Body)>? respond = null)
    {
        Respond = respond ?? Embeddings;
        for (int attempt = 0; ; attempt++)
        {
            Port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another process took the port between probing and binding: try another.
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    public sealed record Request(string Method, string Path, string? Authorization, string? ApiKey, JsonElement Body);

    public int Port { get; private set; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";

    public List<Request> Requests { get; } = [];

    public Func<Request, (int Status, string Body)> Respond { get; }

    /// <summary>A free TCP port on 127.0.0.1 (nothing listens there once this returns).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The vector the server gives a text: not unit length, and distinct per text.</summary>
    public static float[] VectorOf(string text) => [text.Length, text.Count(c => c == 'a') + 1, 2, 0.5f];

    /// <summary>A well-formed answer, with the data in reverse order (clients must use "index").</summary>
    public static (int, string) Embeddings(Request request)
    {
        var inputs = request.Body.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var data = inputs.Select((text, i) => new { @object = "embedding", index = i, embedding = VectorOf(text) }).Reverse();
        return (200, JsonSerializer.Serialize(new
        {
            @object = "list",
            data,
            model = request.Body.GetProperty("model").GetString(),
            usage = new { prompt_tokens = inputs.Length * 3, total_tokens = inputs.Length * 3 },
        }));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            string text = await reader.ReadToEndAsync();
            var request = new Request(
                context.Request.HttpMethod,
                context.Request.Url!.PathAndQuery,
                context.Request.Headers["Authorization"],
                context.Request.Headers["api-key"],
                JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone());
            lock (Requests) Requests.Add(request);
            var (status, body) = Respond(request);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}

public sealed class OpenAiEmbeddingGeneratorTests : IDisposable
{
    private readonly LocalEmbeddingServer _server = new();

    public void Dispose() => _server.Dispose();

    private static float[] Unit(float[] v)
    {
        var copy = (float[])v.Clone();
        double n = Math.Sqrt(copy.Sum(x => (double)x * x));
        for (int i = 0; i < copy.Length; i++) copy[i] = (float)(copy[i] / n);
        return copy;
    }

    [Fact]
    public async Task Posts_model_and_inputs_to_base_url_embeddings_and_reads_vectors_by_index()
    {
        using var generator = new OpenAiEmbeddingGenerator(new OpenAiEmbeddingOptions
        {
            Endpoint = new Uri(_server.BaseUrl),
            Model = "nomic-embed-text",
            ApiKey = "sk-test",
            BatchSize = 2,
        });
        string[] texts = ["alpha", "beta", "gamma banana", "d", "e"];
        var result = await generator.GenerateAsync(texts);

        Assert.Equal(3, _server.Requests.Count); // 2 + 2 + 1
        var first = _server.Requests[0];
        Assert.Equal("POST", first.Method);
        Assert.Equal("/v1/embeddings", first.Path);
        Assert.Equal("Bearer sk-test", first.Authorization);
        Assert.Null(first.ApiKey);
        Assert.Equal("nomic-embed-text", first.Body.GetProperty("model").GetString());
        Assert.Equal(["alpha", "beta"], first.Body.GetProperty("input").EnumerateArray().Select(e => e.GetString()));
        Assert.False(first.Body.TryGetProperty("dimensions", out _));

        Assert.Equal(texts.Length, result.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(Unit(LocalEmbeddingServer.VectorOf(texts[i])), result[i].Vector.ToArray());
            Assert.Equal("nomic-embed-text", result[i].ModelId);
        }
        Assert.Equal(15, result.Usage?.InputTokenCount);
        Assert.Equal(4, generator.Info.Dimensions);
        Assert.StartsWith($"openai:{_server.BaseUrl}/embeddings:nomic-embed-text", generator.Info.Identity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_style_endpoints_keep_the_query_and_send_an_api_key_header()
    {
        using var generator = new OpenAiEmbeddingGenerator(new OpenAiEmbeddingOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{_server.Port}/openai/deployments/embed-small?api-version=2024-10-21"),
            Model = "text-embedding-3-small",
            ApiKey = "azure-key",
            ApiKeyStyle = ApiKeyStyle.ApiKeyHeader,
            Dimensions = 4,
            Normalize = false,
        });
        var result = await generator.GenerateAsync(["x"]);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/openai/deployments/embed-small/embeddings?api-version=2024-10-21", request.Path);
        Assert.Equal("azure-key", request.ApiKey);
        Assert.Null(request.Authorization);
        Assert.Equal(4, request.Body.GetProperty("dimensions").GetInt32());
        Assert.Equal(LocalEmbeddingServer.VectorOf("x"), result[0].Vector.ToArray()); // not normalized
    }

    [Fact]
    public async Task The_factory_url_form_names_the_model_after_the_hash_and_applies_query_prefixes()
    {
        using var generator = EmbeddingModels.Create($"{_server.BaseUrl}#bge-small", new EmbeddingModelOptions { QueryPrefix = "query: ", ApiKey = "" });
        await generator.GenerateAsync(["what is a socket"], EmbeddingInput.ForQuery());
        await generator.GenerateAsync(["a socket is an endpoint"]);

        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal("bge-small", _server.Requests[0].Body.GetProperty("model").GetString());
        Assert.Equal("query: what is a socket", _server.Requests[0].Body.GetProperty("input")[0].GetString());
        Assert.Equal("a socket is an endpoint", _server.Requests[1].Body.GetProperty("input")[0].GetString());
        Assert.Equal("/v1/embeddings", _server.Requests[0].Path);
    }

    [Fact]
    public async Task The_openai_form_and_the_cache_work_over_http()
    {
        using var dir = new TempDirectory();
        using var cache = EmbeddingCache.Open(dir.Path);
        using var generator = EmbeddingModels.Create("openai:text-embedding-3-small",
            new EmbeddingModelOptions { Endpoint = new Uri(_server.BaseUrl), ApiKey = "k", Cache = cache });
        Assert.IsType<CachedEmbeddingGenerator>(generator);

        var first = await generator.GenerateAsync(["one", "two"]);
        var second = await generator.GenerateAsync(["two", "one"]);
        Assert.Single(_server.Requests);
        Assert.Equal(first[0].Vector.ToArray(), second[1].Vector.ToArray());
    }

    [Fact]
    public async Task An_error_status_is_reported_with_the_url_and_the_server_message()
    {
        using var failing = new LocalEmbeddingServer(_ => (401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"""));
        using var generator = new OpenAiEmbeddingGenerator(new OpenAiEmbeddingOptions { Endpoint = new Uri(failing.BaseUrl), Model = "m", ApiKey = "sk-secret-123" });
        var e = await Assert.ThrowsAsync<EmbeddingServiceException>(() => generator.GenerateAsync(["x"]));
        Assert.Equal(401, e.StatusCode);
        Assert.Contains($"{failing.BaseUrl}/embeddings", e.Message, StringComparison.Ordinal);
        Assert.Contains("Incorrect API key provided", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-123", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_answer_is_reported_with_the_url()
    {
        using var broken = new LocalEmbeddingServer(_ => (200, """{"data":[{"index":0,"embedding":[1,2]}]}"""));
        using var generator = new OpenAiEmbeddingGenerator(new OpenAiEmbeddingOptions { Endpoint = new Uri(broken.BaseUrl), Model = "m" });
        var e = await Assert.ThrowsAsync<EmbeddingServiceException>(() => generator.GenerateAsync(["x", "y"]));
        Assert.Contains(broken.BaseUrl, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_an_error_naming_the_url()
    {
        int port = LocalEmbeddingServer.FreePort(); // nothing listens there
        string url = $"http://127.0.0.1:{port}/v1";
        using var generator = EmbeddingModels.Create($"{url}#m");
        var e = await Assert.ThrowsAsync<EmbeddingServiceException>(() => generator.GenerateAsync(["x"]));
        Assert.Contains($"{url}/embeddings", e.Message, StringComparison.Ordinal);
        Assert.Equal(new Uri($"{url}/embeddings"), e.Url);
        Assert.Null(e.StatusCode);
    }

    [Fact]
    public void Bad_http_model_names_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => EmbeddingModels.Create("openai:"));
        Assert.Throws<ArgumentException>(() => EmbeddingModels.Create("http://127.0.0.1:1/v1"));
        using var azure = (OpenAiEmbeddingGenerator)EmbeddingModels.Create("https://example.openai.azure.com/openai/deployments/small?api-version=2024-10-21");
        Assert.Equal("small", azure.Info.Name);
        Assert.Equal("/openai/deployments/small/embeddings", azure.EmbeddingsUrl.AbsolutePath);
    }
}
