using System.Text;
using FastBertTokenizer;

namespace BitSieve.Embeddings.Onnx;

/// <summary>BERT WordPiece tokenization (FastBertTokenizer) behind a lock: the library reuses internal buffers.</summary>
internal sealed class WordPieceTokenizer
{
    private readonly BertTokenizer _tokenizer;
    private readonly Lock _gate = new();

    private WordPieceTokenizer(BertTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>From a BERT <c>vocab.txt</c> (one piece a line, id = line number).</summary>
    public static WordPieceTokenizer FromVocabulary(byte[] vocabulary, bool lowercase)
    {
        var tokenizer = new BertTokenizer();
        using var reader = new StreamReader(new MemoryStream(vocabulary), Encoding.UTF8);
        tokenizer.LoadVocabulary(reader, convertInputToLowercase: lowercase);
        return new WordPieceTokenizer(tokenizer);
    }

    /// <summary>From a Hugging Face <c>tokenizer.json</c> with a WordPiece model.</summary>
    public static WordPieceTokenizer FromTokenizerJson(byte[] json, string modelName)
    {
        var tokenizer = new BertTokenizer();
        using var stream = new MemoryStream(json);
        try
        {
            tokenizer.LoadTokenizerJson(stream);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"The tokenizer.json of {modelName} is not a BERT WordPiece tokenizer that FastBertTokenizer reads: {e.Message}", e);
        }
        return new WordPieceTokenizer(tokenizer);
    }

    /// <summary>Token ids of <paramref name="text"/>: <c>[CLS]</c>, the pieces, <c>[SEP]</c>, at most <paramref name="maximumTokens"/> in all.</summary>
    public long[] Encode(string text, int maximumTokens)
    {
        var ids = new long[maximumTokens];
        var mask = new long[maximumTokens];
        int count;
        lock (_gate)
        {
            count = _tokenizer.Encode(text, ids, mask, padTo: null);
        }

        return count == maximumTokens ? ids : ids.AsSpan(0, count).ToArray();
    }
}
