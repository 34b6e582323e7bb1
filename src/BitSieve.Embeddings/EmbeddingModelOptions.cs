using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx;

namespace BitSieve.Embeddings;

/// <summary>
/// Settings for <see cref="EmbeddingModels.Create"/>. A <see langword="null"/> property keeps the model's default.
/// The ONNX ones apply to built-in and local models, the HTTP ones to <c>openai:</c> and URL forms; the prefix,
/// normalization and batch settings to both.
/// </summary>
public sealed record EmbeddingModelOptions
{
    /// <summary>Mean or CLS pooling (ONNX models).</summary>
    public Pooling? Pooling { get; init; }

    /// <summary>Word pieces per text including <c>[CLS]</c>/<c>[SEP]</c> (ONNX models); default: the model's trained limit.</summary>
    public int? MaximumTokens { get; init; }

    /// <summary>Put in front of texts marked as queries; "" for none.</summary>
    public string? QueryPrefix { get; init; }

    /// <summary>Put in front of texts not marked as queries; "" for none.</summary>
    public string? DocumentPrefix { get; init; }

    /// <summary>Scale vectors to unit length (default on).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Texts per model run or HTTP request; default 16 for ONNX, 64 for HTTP.</summary>
    public int? BatchSize { get; init; }

    /// <summary>ONNX Runtime intra-op threads; default <see cref="Environment.ProcessorCount"/>.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>HTTP base URL for the <c>openai:MODEL</c> form; default <c>$BITSIEVE_EMBEDDINGS_URL</c>, else <c>https://api.openai.com/v1</c>.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>HTTP API key; default the first set of <c>BITSIEVE_EMBEDDINGS_KEY</c>, <c>OPENAI_API_KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>HTTP <c>dimensions</c> request field.</summary>
    public int? Dimensions { get; init; }

    /// <summary>HTTP client to send requests with (the generator does not dispose it); default: its own.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>When set, the generator is wrapped in a <see cref="CachedEmbeddingGenerator"/> over this cache (not disposed with it).</summary>
    public EmbeddingCache? Cache { get; init; }

    /// <summary>ONNX models: the layers that run in int8; <see langword="null"/>: float32 throughout.</summary>
    internal Onnx.Quantization.QuantizationPlan? Quantization { get; init; }

    /// <summary>ONNX models: where rewritten models are kept (see <see cref="OnnxEmbeddingOptions.RewrittenModelDirectory"/>).</summary>
    internal string? RewrittenModelDirectory { get; init; }
}
