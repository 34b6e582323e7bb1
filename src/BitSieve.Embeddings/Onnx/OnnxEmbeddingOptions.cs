namespace BitSieve.Embeddings.Onnx;

/// <summary>
/// Settings of an <see cref="OnnxEmbeddingGenerator"/>. A <see langword="null"/> property keeps the model's own default:
/// the built-in table for <c>minilm</c> and <c>arctic-xs</c>, or for a local sentence-transformers directory its
/// <c>1_Pooling/config.json</c>, <c>sentence_bert_config.json</c> and <c>config_sentence_transformers.json</c>.
/// </summary>
public sealed record OnnxEmbeddingOptions
{
    /// <summary>Mean or CLS pooling; <see langword="null"/>: the model's.</summary>
    public Pooling? Pooling { get; init; }

    /// <summary>
    /// Word pieces per text including <c>[CLS]</c> and <c>[SEP]</c>; longer texts are cut (the cut keeps the start).
    /// <see langword="null"/>: the model's trained limit, 256 for MiniLM and 512 for Arctic-xs.
    /// </summary>
    public int? MaximumTokens { get; init; }

    /// <summary>Put in front of texts marked as queries (<see cref="EmbeddingInput.ForQuery"/>); "" for none; <see langword="null"/>: the model's.</summary>
    public string? QueryPrefix { get; init; }

    /// <summary>Put in front of texts not marked as queries; "" for none; <see langword="null"/>: the model's (usually none).</summary>
    public string? DocumentPrefix { get; init; }

    /// <summary>Scale every vector to unit length (default), so that inner product equals cosine.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Texts per ONNX run. 8–16 were fastest on 2-core machines; bigger batches pad more and thrash caches.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Threads ONNX Runtime uses inside one operator; <see langword="null"/> or 0: <see cref="Environment.ProcessorCount"/>.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>
    /// The weight-constant matrix products that run in int8 (<c>--precision int8|auto</c>); <see langword="null"/>: every
    /// layer in float32, the model's own bytes, today's vectors bit for bit.
    /// </summary>
    internal Quantization.QuantizationPlan? Quantization { get; init; }

    /// <summary>Folder whose <c>models/</c> keeps rewritten models (the embedding cache's); <see langword="null"/>: rewrite in memory on each load.</summary>
    internal string? RewrittenModelDirectory { get; init; }
}
