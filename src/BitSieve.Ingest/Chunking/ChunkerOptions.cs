namespace BitSieve.Ingest.Chunking;

/// <summary>Size limits and the token counter for <see cref="TextChunker"/>.</summary>
public sealed record ChunkerOptions
{
    /// <summary>The defaults: 200 tokens a chunk, 30 tokens of overlap, <see cref="ApproximateTokenCounter"/>.</summary>
    public static ChunkerOptions Default { get; } = new();

    /// <summary>
    /// The most tokens a chunk may have, as <see cref="TokenCounter"/> counts them. Default 200: MiniLM-class embedders
    /// are trained on 256 word pieces and truncate beyond their limit, and the margin absorbs the approximate counter's
    /// error and the special tokens.
    /// </summary>
    public int MaxTokens { get; init; } = 200;

    /// <summary>
    /// How many tokens at most a chunk repeats from the end of the one before (15 % by default), taken from whole
    /// sentences where they fit. No overlap is added across a heading. At most half of <see cref="MaxTokens"/>.
    /// </summary>
    public int OverlapTokens { get; init; } = 30;

    /// <summary>
    /// Counts the tokens of a string, without special tokens; <see cref="ApproximateTokenCounter.Count"/> by default.
    /// Plug the embedder's tokenizer in here. It is called on single words and on whole chunks, and should be additive
    /// across whitespace (WordPiece is).
    /// </summary>
    public Func<string, int> TokenCounter { get; init; } = ApproximateTokenCounter.Count;

    internal void Validate()
    {
        if (MaxTokens < 8)
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "A chunk needs room for at least 8 tokens.");
        if (OverlapTokens < 0 || OverlapTokens > MaxTokens / 2)
            throw new ArgumentOutOfRangeException(nameof(OverlapTokens), OverlapTokens, "The overlap must be between 0 and half the chunk size.");
        ArgumentNullException.ThrowIfNull(TokenCounter);
    }
}
