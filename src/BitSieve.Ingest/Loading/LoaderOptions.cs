namespace BitSieve.Ingest.Loading;

/// <summary>Limits and switches for <see cref="DocumentLoader"/>.</summary>
public sealed record LoaderOptions
{
    /// <summary>The default options.</summary>
    public static LoaderOptions Default { get; } = new();

    /// <summary>Files larger than this are skipped as <see cref="Documents.SkipKind.TooLarge"/>. Default 64 MiB.</summary>
    public long MaxFileBytes { get; init; } = 64L << 20;

    /// <summary>
    /// CSS selectors of HTML elements whose text is dropped: scripts, styles, navigation, and the navigation and
    /// table-of-contents blocks that DocBook-generated pages (such as the Debian Reference) put on every page.
    /// </summary>
    public IReadOnlyList<string> HtmlDroppedSelectors { get; init; } =
    [
        "script", "style", "noscript", "template", "nav", "svg", "math", "iframe", "object", "select", "button",
        "[role=navigation]", "[hidden]", "[aria-hidden=true]", ".navheader", ".navfooter", ".toc",
    ];
}
