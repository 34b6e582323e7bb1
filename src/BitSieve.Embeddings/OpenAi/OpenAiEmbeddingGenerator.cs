using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using BitSieve.Embeddings.Onnx;
using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings.OpenAi;

/// <summary>
/// Embeddings from any server that speaks OpenAI's <c>POST /embeddings</c>: OpenAI, Azure OpenAI, Ollama, LM Studio,
/// vLLM. Sends <c>{"model": …, "input": [...]}</c> (plus <c>"dimensions"</c> when set) in batches of
/// <see cref="OpenAiEmbeddingOptions.BatchSize"/> and reads <c>data[i].embedding</c> (float arrays or base64).
/// </summary>
/// <remarks>
/// A server that cannot be reached, times out, or answers with an error status raises
/// <see cref="EmbeddingServiceException"/>, whose message names the URL (never the key).
/// </remarks>
public sealed class OpenAiEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAiEmbeddingOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _apiKey;
    private readonly bool _apiKeyHeader;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private int _dimensions;

    /// <summary>Creates the client; without <paramref name="httpClient"/> it makes (and later disposes) its own.</summary>
    public OpenAiEmbeddingGenerator(OpenAiEmbeddingOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model);
        if (!options.Endpoint.IsAbsoluteUri || options.Endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException($"The embedding endpoint must be an absolute http(s) URL: {options.Endpoint}", nameof(options));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive.");

        _options = options;
        EmbeddingsUrl = EmbeddingsUrlOf(options.Endpoint);
        _apiKey = options.ApiKey ?? OpenAiEmbeddingOptions.ApiKeyFromEnvironment();
        _apiKeyHeader = options.ApiKeyStyle switch
        {
            ApiKeyStyle.ApiKeyHeader => true,
            ApiKeyStyle.Bearer => false,
            _ => IsAzureHost(options.Endpoint.Host),
        };
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _dimensions = options.Dimensions ?? 0;
        _metadata = new EmbeddingGeneratorMetadata("openai", options.Endpoint, options.Model, options.Dimensions);
    }

    /// <summary>Where requests go: the endpoint with <c>/embeddings</c> appended to its path.</summary>
    public Uri EmbeddingsUrl { get; }

    /// <summary>
    /// The model's description; <see cref="EmbeddingModelInfo.Dimensions"/> is 0 until the first answer unless
    /// <see cref="OpenAiEmbeddingOptions.Dimensions"/> was set.
    /// </summary>
    public EmbeddingModelInfo Info => new(
        _options.Model,
        $"openai:{EmbeddingsUrl.GetLeftPart(UriPartial.Path)}:{_options.Model}:{_options.Dimensions?.ToString(CultureInfo.InvariantCulture) ?? "native"}:{(_options.Normalize ? "l2" : "raw")}",
        Volatile.Read(ref _dimensions),
        _options.QueryPrefix,
        _options.DocumentPrefix);

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        bool isQuery = EmbeddingInput.IsQuery(options);
        string model = options?.ModelId ?? _options.Model;
        int? dimensions = options?.Dimensions ?? _options.Dimensions;
        var info = Info;

        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        long tokens = 0;
        bool sawUsage = false;
        var now = DateTimeOffset.UtcNow;
        for (int start = 0; start < texts.Count; start += _options.BatchSize)
        {
            int count = Math.Min(_options.BatchSize, texts.Count - start);
            var batch = new string[count];
            for (int i = 0; i < count; i++)
                batch[i] = info.Prepare(texts[start + i] ?? throw new ArgumentException($"Text {start + i} is null.", nameof(values)), isQuery);

            var (vectors, batchTokens) = await PostAsync(model, batch, dimensions, cancellationToken).ConfigureAwait(false);
            if (batchTokens is long t)
            {
                tokens += t;
                sawUsage = true;
            }
            foreach (var vector in vectors)
            {
                if (_options.Normalize) OnnxEmbeddingGenerator.L2Normalize(vector);
                result.Add(new Embedding<float>(vector) { ModelId = model, CreatedAt = now });
            }
        }

        if (sawUsage) result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        if (result.Count > 0 && options?.Dimensions is null && options?.ModelId is null)
            Volatile.Write(ref _dimensions, result[0].Vector.Length);
        return result;
    }

    private async Task<(float[][] Vectors, long? Tokens)> PostAsync(string model, string[] batch, int? dimensions, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("input");
            foreach (var text in batch) json.WriteStringValue(text);
            json.WriteEndArray();
            if (dimensions is int d) json.WriteNumber("dimensions", d);
            json.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, EmbeddingsUrl)
        {
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(_apiKey))
        {
            if (_apiKeyHeader) request.Headers.Add("api-key", _apiKey);
            else request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new EmbeddingServiceException($"Could not reach the embedding service at {EmbeddingsUrl}: {e.Message}", EmbeddingsUrl, null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddingServiceException($"The embedding service at {EmbeddingsUrl} did not answer within {_options.Timeout.TotalSeconds:0.#} s.", EmbeddingsUrl, null, e);
        }

        using (response)
        {
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    string text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    throw new EmbeddingServiceException(
                        $"The embedding service at {EmbeddingsUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}: {ErrorMessage(text)}",
                        EmbeddingsUrl, (int)response.StatusCode);
                }

                await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                using var document = await JsonDocument.ParseAsync(stream, default, timeout.Token).ConfigureAwait(false);
                return ParseResponse(document.RootElement, batch.Length);
            }
            catch (JsonException e)
            {
                throw new EmbeddingServiceException($"The embedding service at {EmbeddingsUrl} sent a response that is not OpenAI embeddings JSON: {e.Message}", EmbeddingsUrl, (int)response.StatusCode, e);
            }
            catch (HttpRequestException e)
            {
                throw new EmbeddingServiceException($"The connection to the embedding service at {EmbeddingsUrl} failed: {e.Message}", EmbeddingsUrl, (int)response.StatusCode, e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new EmbeddingServiceException($"The embedding service at {EmbeddingsUrl} did not answer within {_options.Timeout.TotalSeconds:0.#} s.", EmbeddingsUrl, (int)response.StatusCode, e);
            }
        }
    }

    private (float[][] Vectors, long? Tokens) ParseResponse(JsonElement root, int expected)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new JsonException("no 'data' array");
        var vectors = new float[expected][];
        int position = 0;
        foreach (var item in data.EnumerateArray())
        {
            int index = item.TryGetProperty("index", out var i) && i.TryGetInt32(out int parsed) ? parsed : position;
            if ((uint)index >= (uint)expected || vectors[index] is not null)
                throw new JsonException($"data[{position}] has index {index}, outside the {expected} inputs or repeated");
            if (!item.TryGetProperty("embedding", out var embedding)) throw new JsonException($"data[{position}] has no 'embedding'");
            vectors[index] = embedding.ValueKind switch
            {
                JsonValueKind.Array => embedding.EnumerateArray().Select(v => v.GetSingle()).ToArray(),
                // encoding_format = base64: little-endian float32.
                JsonValueKind.String => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(embedding.GetString()!)).ToArray(),
                _ => throw new JsonException($"data[{position}].embedding is neither an array nor base64"),
            };
            position++;
        }

        if (position != expected) throw new JsonException($"{position} embeddings for {expected} inputs");
        long? tokens = root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
            && usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt64(out long n) ? n : null;
        return (vectors, tokens);
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String) return error.GetString()!;
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    return message.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON: show the start of the body as it is.
        }

        body = body.Trim();
        return body.Length <= 300 ? body : body[..300] + "…";
    }

    private static Uri EmbeddingsUrlOf(Uri endpoint)
    {
        var builder = new UriBuilder(endpoint);
        string path = builder.Path.TrimEnd('/');
        if (!path.EndsWith("/embeddings", StringComparison.OrdinalIgnoreCase)) path += "/embeddings";
        builder.Path = path;
        return builder.Uri;
    }

    private static bool IsAzureHost(string host) =>
        host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".cognitiveservices.azure.com", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(EmbeddingModelInfo)) return Info;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
