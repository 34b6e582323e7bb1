using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;

namespace BitSieve.Ingest.Answering;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp's server, vLLM, LM Studio, OpenAI) as an
/// <see cref="IChatClient"/>, through <c>Microsoft.Extensions.AI.OpenAI</c>. Its failures are
/// <see cref="AnswerServiceException"/>s with a one-line message: the endpoint unreachable, an HTTP error (with the
/// endpoint's own message, such as Ollama's <c>model "x" not found</c>), or no model to use.
/// </summary>
public sealed class ChatEndpoint
{
    /// <summary>The environment variable read first for the API key.</summary>
    public const string ApiKeyVariable = "BITSIEVE_LLM_API_KEY";

    /// <summary>The environment variable read when <see cref="ApiKeyVariable"/> is not set.</summary>
    public const string OpenAiApiKeyVariable = "OPENAI_API_KEY";

    private readonly string? _apiKey;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _connect = new(1, 1);
    private IChatClient? _client;

    /// <summary>
    /// Describes the endpoint. <paramref name="url"/> is the API's base URL, the one that <c>/chat/completions</c> and
    /// <c>/models</c> are under (<c>http://localhost:11434/v1</c> for Ollama, <c>http://localhost:8080/v1</c> for
    /// llama.cpp); a URL with no path gets <c>/v1</c>. Without <paramref name="model"/>, the first model that
    /// <c>GET /models</c> lists is used. Without <paramref name="apiKey"/>, none is sent (local servers need none).
    /// </summary>
    public ChatEndpoint(Uri url, string? model = null, string? apiKey = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"The chat endpoint must be an absolute http(s) URL: {url}", nameof(url));
        if (model is not null && model.Trim().Length == 0) throw new ArgumentException("The chat model's name is empty.", nameof(model));
        string path = url.AbsolutePath.TrimEnd('/');
        Url = new UriBuilder(url) { Path = (path.Length == 0 ? "/v1" : path) + "/" }.Uri;
        Model = model;
        _apiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
        Timeout = timeout ?? TimeSpan.FromMinutes(5);
        _http = new HttpClient { Timeout = Timeout };
    }

    /// <summary>The base URL, ending in <c>/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The model asked for, or null to use the first the endpoint lists.</summary>
    public string? Model { get; }

    /// <summary>How long a request may take before it fails (default five minutes: a local model on a CPU is slow).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The API key from the environment: <c>BITSIEVE_LLM_API_KEY</c>, else <c>OPENAI_API_KEY</c>, else null.</summary>
    public static string? ApiKeyFromEnvironment() =>
        Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key
        : Environment.GetEnvironmentVariable(OpenAiApiKeyVariable) is { Length: > 0 } openAi ? openAi
        : null;

    /// <summary>
    /// The chat client, made on the first call (which, without a model name, asks the endpoint for its models) and
    /// reused after.
    /// </summary>
    public async Task<IChatClient> ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_client is { } made) return made;
        await _connect.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is null)
            {
                string model = Model ?? await FirstModelAsync(cancellationToken).ConfigureAwait(false);
                var options = new OpenAIClientOptions
                {
                    Endpoint = Url,
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // a refused or failed request is reported at once
                    NetworkTimeout = Timeout,
                };
                var chat = new OpenAIClient(new ApiKeyCredential(_apiKey ?? "none"), options).GetChatClient(model).AsIChatClient();
                _client = new ErrorNaming(chat, Url, model);
            }
            return _client;
        }
        finally
        {
            _connect.Release();
        }
    }

    /// <summary>The model an endpoint without <see cref="Model"/> gets: the first of <c>GET /models</c>.</summary>
    private async Task<string> FirstModelAsync(CancellationToken cancellationToken)
    {
        var models = new Uri(Url, "models");
        using var request = new HttpRequestMessage(HttpMethod.Get, models);
        if (_apiKey is not null) request.Headers.Authorization = new("Bearer", _apiKey);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new AnswerServiceException($"could not reach the chat endpoint at {Url}: {OneLine(e.Message)}", Url, null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AnswerServiceException($"the chat endpoint at {Url} did not answer within {Timeout.TotalSeconds:0.#} s", Url, null, e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new AnswerServiceException(
                    $"the chat endpoint at {Url} answered GET models with HTTP {(int)response.StatusCode}; name the model with --llm-model", Url, (int)response.StatusCode, null);
            }
            try
            {
                using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in data.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } name)
                            return name;
                    }
                }
            }
            catch (JsonException e)
            {
                throw new AnswerServiceException($"the chat endpoint at {Url} answered GET models with something that is not JSON; name the model with --llm-model", Url, (int)response.StatusCode, e);
            }
            throw new AnswerServiceException($"the chat endpoint at {Url} lists no model; pull or load one, or name it with --llm-model", Url, (int)response.StatusCode, null);
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Turns the OpenAI client's failures into <see cref="AnswerServiceException"/>s that name the endpoint and model.</summary>
    private sealed class ErrorNaming(IChatClient inner, Uri url, string model) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Translate(e, cancellationToken) is { } failure)
            {
                throw failure;
            }
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            await using (updates.ConfigureAwait(false))
            {
                while (true)
                {
                    try
                    {
                        if (!await updates.MoveNextAsync().ConfigureAwait(false)) yield break;
                    }
                    catch (Exception e) when (Translate(e, cancellationToken) is { } failure)
                    {
                        throw failure;
                    }
                    yield return updates.Current;
                }
            }
        }

        private AnswerServiceException? Translate(Exception e, CancellationToken cancellationToken)
        {
            switch (e)
            {
                case ClientResultException { Status: 0 } unreachable:
                    return new AnswerServiceException($"could not reach the chat endpoint at {url}: {OneLine((unreachable.InnerException ?? unreachable).Message)}", url, null, e);
                case ClientResultException refused:
                    string detail = ErrorMessage(refused) ?? $"HTTP {refused.Status}";
                    string hint = refused.Status == 404 ? $" (is the model \"{model}\" there? name it with --llm-model)" : "";
                    return new AnswerServiceException($"the chat endpoint at {url} answered HTTP {refused.Status}: {OneLine(detail)}{hint}", url, refused.Status, e);
                case HttpRequestException http:
                    return new AnswerServiceException($"could not reach the chat endpoint at {url}: {OneLine(http.Message)}", url, null, e);
                case OperationCanceledException when !cancellationToken.IsCancellationRequested:
                    return new AnswerServiceException($"the chat endpoint at {url} did not answer in time", url, null, e);
                default:
                    return null;
            }
        }

        /// <summary>The endpoint's own message (<c>{"error":{"message":…}}</c> or <c>{"error":"…"}</c>), when its answer has one.</summary>
        private static string? ErrorMessage(ClientResultException e)
        {
            try
            {
                string? body = e.GetRawResponse()?.Content?.ToString();
                if (string.IsNullOrWhiteSpace(body)) return null;
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("error", out var error)) return body.Trim();
                return error.ValueKind switch
                {
                    JsonValueKind.String => error.GetString(),
                    JsonValueKind.Object when error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String => message.GetString(),
                    _ => error.GetRawText(),
                };
            }
            catch (JsonException)
            {
                return e.GetRawResponse()?.Content?.ToString().Trim();
            }
        }
    }
}
