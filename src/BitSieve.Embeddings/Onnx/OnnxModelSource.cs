using System.IO.Hashing;

namespace BitSieve.Embeddings.Onnx;

/// <summary>How the tokenizer bytes of an <see cref="OnnxModelSource"/> are written.</summary>
internal enum TokenizerFormat
{
    /// <summary>BERT <c>vocab.txt</c>.</summary>
    Vocabulary,

    /// <summary>Hugging Face <c>tokenizer.json</c>.</summary>
    TokenizerJson,
}

/// <summary>The bytes of an ONNX sentence encoder and of its tokenizer.</summary>
internal sealed record OnnxModelBytes(byte[] Model, byte[] Tokenizer)
{
    /// <summary>XxHash128 of the model bytes then the tokenizer bytes, lower-case hex: what a cache entry's identity names.</summary>
    public string ContentHash()
    {
        var hash = new XxHash128();
        hash.Append(Model);
        hash.Append(Tokenizer);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}

/// <summary>
/// An ONNX sentence encoder as far as it can be described without loading it: what identifies its vectors
/// (<see cref="ContentHash"/>, and <see cref="Dimensions"/> where known up front), the defaults it was trained with, and
/// how to read its bytes when it has to run.
/// </summary>
/// <param name="Name">The name it was asked for by: <c>minilm</c>, a full path.</param>
/// <param name="ContentHash">
/// <see cref="OnnxModelBytes.ContentHash"/> of the bytes <paramref name="ReadBytes"/> returns; checked when they are read.
/// </param>
/// <param name="Dimensions">Length of the vectors when known without loading the model (built-in models); null: learned from the session.</param>
/// <param name="ReadBytes">Reads the model and tokenizer bytes; called once, when the model first has to run.</param>
/// <param name="Format">How the tokenizer bytes are written.</param>
/// <param name="Lowercase">Whether a <c>vocab.txt</c> tokenizer lowercases its input.</param>
/// <param name="Pooling">The pooling the model was trained with.</param>
/// <param name="MaximumTokens">The word pieces it was trained on, <c>[CLS]</c>/<c>[SEP]</c> included.</param>
/// <param name="QueryPrefix">Text put in front of queries ("" for none).</param>
/// <param name="DocumentPrefix">Text put in front of documents ("" for none).</param>
/// <param name="Language">The one language it was trained on, or null.</param>
internal sealed record OnnxModelSource(
    string Name,
    string ContentHash,
    int? Dimensions,
    Func<OnnxModelBytes> ReadBytes,
    TokenizerFormat Format,
    bool Lowercase,
    Pooling Pooling,
    int MaximumTokens,
    string QueryPrefix,
    string DocumentPrefix,
    string? Language = null);
