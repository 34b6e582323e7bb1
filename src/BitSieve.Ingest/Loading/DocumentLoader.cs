using BitSieve.Ingest.Documents;

namespace BitSieve.Ingest.Loading;

/// <summary>
/// Loads a supported file into an <see cref="ExtractedDocument"/>, or says why it was skipped. Loading never throws for
/// bad input: unreadable, empty, binary, undecodable and malformed files come back as <see cref="LoadResult.Skip"/> so
/// the caller can count and report them.
/// </summary>
public static class DocumentLoader
{
    private static readonly Dictionary<string, DocumentFormat> Formats = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = DocumentFormat.PlainText,
        [".md"] = DocumentFormat.Markdown,
        [".markdown"] = DocumentFormat.Markdown,
        [".html"] = DocumentFormat.Html,
        [".htm"] = DocumentFormat.Html,
        [".pdf"] = DocumentFormat.Pdf,
    };

    /// <summary>The extensions the loaders handle, lower case with the dot.</summary>
    public static IReadOnlyCollection<string> SupportedExtensions => Formats.Keys;

    /// <summary>The format for a path's extension (case-insensitive), or null when unsupported.</summary>
    public static DocumentFormat? FormatOf(string path) =>
        Formats.TryGetValue(Path.GetExtension(path), out DocumentFormat format) ? format : null;

    /// <summary>Whether the path's extension is supported.</summary>
    public static bool IsSupported(string path) => FormatOf(path) is not null;

    /// <summary>Reads and extracts a file.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="source">The name the document carries (e.g. a relative path); defaults to <paramref name="path"/>.</param>
    /// <param name="options">Limits; <see cref="LoaderOptions.Default"/> when null.</param>
    public static LoadResult LoadFile(string path, string? source = null, LoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        source ??= path;
        options ??= LoaderOptions.Default;
        return ReadFile(path, source, options, out byte[]? content) is { } skipped ? skipped : Load(content!, source, FormatOf(path)!.Value, options);
    }

    /// <summary>
    /// Reads a supported file's bytes within <paramref name="options"/>' limits: null with the bytes in
    /// <paramref name="content"/>, or the reason the file is skipped.
    /// </summary>
    public static LoadResult? ReadFile(string path, string source, LoaderOptions options, out byte[]? content)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        content = null;
        if (FormatOf(path) is null)
            return LoadResult.Skipped(source, SkipKind.Unsupported, $"unsupported extension '{Path.GetExtension(path)}'");
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                string what = Directory.Exists(path) ? "is a directory, not a file" : "does not exist";
                return LoadResult.Skipped(source, SkipKind.Unreadable, $"the path {what}");
            }
            if (info.Length > options.MaxFileBytes)
                return LoadResult.Skipped(source, SkipKind.TooLarge, $"{info.Length} bytes is over the limit of {options.MaxFileBytes}");
            content = File.ReadAllBytes(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return LoadResult.Skipped(source, SkipKind.Unreadable, $"cannot read the file: {e.Message}");
        }
    }

    /// <summary>Extracts a document from a file's bytes.</summary>
    public static LoadResult Load(byte[] content, string source, DocumentFormat format, LoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(source);
        options ??= LoaderOptions.Default;
        if (content.Length > options.MaxFileBytes)
            return LoadResult.Skipped(source, SkipKind.TooLarge, $"{content.Length} bytes is over the limit of {options.MaxFileBytes}");
        if (content.Length == 0)
            return LoadResult.Skipped(source, SkipKind.Empty, "the file is empty");

        return format switch
        {
            DocumentFormat.PlainText => PlainTextLoader.Load(content, source),
            DocumentFormat.Markdown => MarkdownLoader.Load(content, source),
            DocumentFormat.Html => HtmlLoader.Load(content, source, options),
            DocumentFormat.Pdf => PdfLoader.Load(content, source),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
    }
}
