using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.OpenAi;
using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings;

/// <summary>Creates an embedding generator from a model name, a local path, or an HTTP endpoint.</summary>
public static class EmbeddingModels
{
    /// <summary>The model used when none is named: all-MiniLM-L6-v2.</summary>
    public const string Default = BuiltInModels.MiniLm;

    /// <summary>Environment variable with the HTTP base URL for the <c>openai:MODEL</c> form.</summary>
    public const string EndpointVariable = "BITSIEVE_EMBEDDINGS_URL";

    /// <summary>OpenAI's API base, used by <c>openai:MODEL</c> when nothing else is configured.</summary>
    public static readonly Uri OpenAiEndpoint = new("https://api.openai.com/v1");

    /// <summary>
    /// Creates a generator for <paramref name="nameOrPath"/>:
    /// <list type="bullet">
    /// <item><description><see langword="null"/>, empty or <c>minilm</c>: all-MiniLM-L6-v2, built in (384 dimensions, mean pooling, 256 word pieces).</description></item>
    /// <item><description><c>arctic-xs</c>: snowflake-arctic-embed-xs, built in (384 dimensions, CLS pooling, 512 word pieces, query prefix).</description></item>
    /// <item><description><c>openai:MODEL</c>: an OpenAI-compatible server at <see cref="EmbeddingModelOptions.Endpoint"/>, else <c>$BITSIEVE_EMBEDDINGS_URL</c>, else OpenAI; e.g. <c>openai:text-embedding-3-small</c>.</description></item>
    /// <item><description><c>http(s)://BASE#MODEL</c>: an OpenAI-compatible server at BASE, e.g. <c>http://localhost:11434/v1#nomic-embed-text</c> (Ollama); for an Azure deployment URL (<c>…/openai/deployments/NAME?api-version=…</c>) the model defaults to the deployment name.</description></item>
    /// <item><description>anything else: a local sentence-transformers ONNX export, a folder (or its <c>.onnx</c> file) with <c>model.onnx</c> and <c>vocab.txt</c> or <c>tokenizer.json</c>; a path that does not exist throws <see cref="FileNotFoundException"/> naming it.</description></item>
    /// </list>
    /// Built-in names win over a folder of the same name in the working directory: write <c>./minilm</c> for the folder.
    /// With <see cref="EmbeddingModelOptions.Cache"/> set the result is a <see cref="CachedEmbeddingGenerator"/>.
    /// Every generator answers <c>GetService(typeof(EmbeddingModelInfo))</c>. Mark queries with <see cref="EmbeddingInput.ForQuery"/>.
    /// </summary>
    public static IEmbeddingGenerator<string, Embedding<float>> Create(string? nameOrPath = null, EmbeddingModelOptions? options = null)
    {
        options ??= new EmbeddingModelOptions();
        string spec = string.IsNullOrWhiteSpace(nameOrPath) ? Default : nameOrPath.Trim();
        IEmbeddingGenerator<string, Embedding<float>> generator;
        if (BuiltInModels.IsBuiltIn(spec))
        {
            generator = OnnxEmbeddingGenerator.LoadBuiltIn(spec, OnnxOptions(options));
        }
        else if (spec.StartsWith("openai:", StringComparison.OrdinalIgnoreCase))
        {
            string model = spec["openai:".Length..];
            if (model.Length == 0) throw new ArgumentException("Name the model after 'openai:', e.g. openai:text-embedding-3-small.", nameof(nameOrPath));
            var endpoint = options.Endpoint
                ?? (Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } url ? ParseUrl(url, EndpointVariable) : OpenAiEndpoint);
            generator = new OpenAiEmbeddingGenerator(HttpOptions(endpoint, model, options), options.HttpClient);
        }
        else if (spec.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var url = ParseUrl(spec, nameof(nameOrPath));
            string model = Uri.UnescapeDataString(url.Fragment.TrimStart('#'));
            var endpoint = new UriBuilder(url) { Fragment = "" }.Uri;
            if (model.Length == 0) model = DeploymentName(endpoint)
                ?? throw new ArgumentException($"Name the model after '#' in {spec}, e.g. http://localhost:11434/v1#nomic-embed-text.", nameof(nameOrPath));
            generator = new OpenAiEmbeddingGenerator(HttpOptions(endpoint, model, options), options.HttpClient);
        }
        else
        {
            if (!File.Exists(spec) && !Directory.Exists(spec) && !LooksLikePath(spec))
            {
                throw new FileNotFoundException(
                    $"Embedding model '{spec}' is not a built-in model ({string.Join(", ", BuiltInModels.Names)}), an openai:MODEL or http(s):// URL, " +
                    $"nor an existing path: {Path.GetFullPath(spec)} not found.", Path.GetFullPath(spec));
            }
            generator = OnnxEmbeddingGenerator.LoadFromPath(spec, OnnxOptions(options));
        }

        if (options.Quantization is not null && generator is not OnnxEmbeddingGenerator)
        {
            generator.Dispose();
            throw new ArgumentException($"Int8 precision applies to ONNX models only, not {spec}.", nameof(options));
        }

        return options.Cache is { } cache ? new CachedEmbeddingGenerator(generator, cache) : generator;
    }

    private static OnnxEmbeddingOptions OnnxOptions(EmbeddingModelOptions options) => new()
    {
        Pooling = options.Pooling,
        MaximumTokens = options.MaximumTokens,
        QueryPrefix = options.QueryPrefix,
        DocumentPrefix = options.DocumentPrefix,
        Normalize = options.Normalize,
        BatchSize = options.BatchSize ?? 16,
        IntraOpThreads = options.IntraOpThreads,
        Quantization = options.Quantization,
        RewrittenModelDirectory = options.RewrittenModelDirectory,
    };

    private static OpenAiEmbeddingOptions HttpOptions(Uri endpoint, string model, EmbeddingModelOptions options) => new()
    {
        Endpoint = endpoint,
        Model = model,
        ApiKey = options.ApiKey,
        Dimensions = options.Dimensions,
        QueryPrefix = options.QueryPrefix ?? "",
        DocumentPrefix = options.DocumentPrefix ?? "",
        Normalize = options.Normalize,
        BatchSize = options.BatchSize ?? 64,
    };

    private static Uri ParseUrl(string text, string what) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"{what}: '{text}' is not an http(s) URL.");

    /// <summary>The NAME of an Azure OpenAI <c>…/openai/deployments/NAME</c> URL.</summary>
    private static string? DeploymentName(Uri endpoint)
    {
        var segments = endpoint.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int at = Array.FindIndex(segments, s => s.Equals("deployments", StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at + 1 < segments.Length ? Uri.UnescapeDataString(segments[at + 1]) : null;
    }

    private static bool LooksLikePath(string spec) =>
        spec.Contains('/', StringComparison.Ordinal) || spec.Contains('\\', StringComparison.Ordinal)
        || spec.StartsWith('.') || spec.StartsWith('~') || spec.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
}
