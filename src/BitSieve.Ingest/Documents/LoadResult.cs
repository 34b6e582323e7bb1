namespace BitSieve.Ingest.Documents;

/// <summary>Why a file was skipped.</summary>
public enum SkipKind
{
    /// <summary>The extension is not one the loaders handle.</summary>
    Unsupported,

    /// <summary>The file could not be opened or read (missing, permissions, a directory, an I/O error).</summary>
    Unreadable,

    /// <summary>The file is larger than <see cref="Loading.LoaderOptions.MaxFileBytes"/>.</summary>
    TooLarge,

    /// <summary>The file is empty, or no text could be extracted from it.</summary>
    Empty,

    /// <summary>A text file that contains NUL bytes: a binary file with a text extension.</summary>
    Binary,

    /// <summary>Bytes that are not valid UTF-8 (or UTF-16 after a byte-order mark).</summary>
    Undecodable,

    /// <summary>A file whose format is broken beyond what the parser can recover (e.g. a truncated PDF).</summary>
    Malformed,

    /// <summary>An encrypted PDF that cannot be opened without a password.</summary>
    Encrypted,
}

/// <summary>A skipped file: the kind of problem and a message for a person.</summary>
/// <param name="Kind">The kind of problem.</param>
/// <param name="Message">What was wrong, naming the byte offset or parser error where known.</param>
public sealed record SkipReason(SkipKind Kind, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>The outcome of loading one file: a document, or the reason it was skipped.</summary>
public sealed class LoadResult
{
    private LoadResult(string source, ExtractedDocument? document, SkipReason? skip)
    {
        Source = source;
        Document = document;
        Skip = skip;
    }

    /// <summary>The source name the loader was given.</summary>
    public string Source { get; }

    /// <summary>The extracted document, or null when skipped.</summary>
    public ExtractedDocument? Document { get; }

    /// <summary>Why the file was skipped, or null when loaded.</summary>
    public SkipReason? Skip { get; }

    /// <summary>True when <see cref="Document"/> is set.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Document))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Skip))]
    public bool IsLoaded => Document is not null;

    /// <summary>A loaded document.</summary>
    public static LoadResult Loaded(ExtractedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new LoadResult(document.Source, document, null);
    }

    /// <summary>A skipped file.</summary>
    public static LoadResult Skipped(string source, SkipKind kind, string message) =>
        new(source, null, new SkipReason(kind, message));

    /// <inheritdoc />
    public override string ToString() => IsLoaded ? $"{Source}: {Document.Text.Length} chars" : $"{Source}: skipped ({Skip})";
}
