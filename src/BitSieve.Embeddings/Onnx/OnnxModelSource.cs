namespace BitSieve.Embeddings.Onnx;

/// <summary>How the tokenizer bytes of an <see cref="OnnxModelSource"/> are written.</summary>
internal enum TokenizerFormat
{
    /// <summary>BERT <c>vocab.txt</c>.</summary>
    Vocabulary,

    /// <summary>Hugging Face <c>tokenizer.json</c>.</summary>
    TokenizerJson,
}

/// <summary>The bytes of an ONNX sentence encoder, its tokenizer, and the defaults it was trained with.</summary>
internal sealed record OnnxModelSource(
    string Name,
    byte[] Model,
    byte[] Tokenizer,
    TokenizerFormat Format,
    bool Lowercase,
    Pooling Pooling,
    int MaximumTokens,
    string QueryPrefix,
    string DocumentPrefix,
    string? Language = null);
