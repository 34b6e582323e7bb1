using BitSieve.Ingest.Documents;

namespace BitSieve.Ingest.Loading;

/// <summary><c>.txt</c>: the decoded text, line endings normalized; no outline.</summary>
internal static class PlainTextLoader
{
    public static LoadResult Load(byte[] content, string source)
    {
        string? text = TextDecoding.Decode(content, out SkipReason? problem);
        return text is null
            ? LoadResult.Skipped(source, problem!.Kind, problem.Message)
            : LoadResult.Loaded(new ExtractedDocument(source, DocumentFormat.PlainText, text));
    }
}
