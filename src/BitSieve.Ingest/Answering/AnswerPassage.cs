using System.Text.Json.Nodes;

namespace BitSieve.Ingest.Answering;

/// <summary>
/// A passage found for a question, as the answerers take it: where it comes from, its heading path, its text and its
/// search score. How it was found (vector, lexical or hybrid search, a filter) does not matter here; passages are given
/// best first.
/// </summary>
/// <param name="Source">The document it comes from (a path-like name such as <c>guide/install.md</c>).</param>
/// <param name="Headings">The headings above it, outermost first (empty when the document has none).</param>
/// <param name="Text">The passage's text.</param>
/// <param name="Score">The search score (higher is better).</param>
public sealed record AnswerPassage(string Source, IReadOnlyList<string> Headings, string Text, float Score)
{
    /// <summary>
    /// How a citation names the passage: <c>source § heading &gt; heading</c>, or the source alone when it has no
    /// headings.
    /// </summary>
    public string Location => Headings.Count == 0 ? Source : $"{Source} § {string.Join(" > ", Headings)}";

    /// <summary>
    /// The passage of a search hit over chunks written by the indexer (payload <c>source</c>, <c>headings</c>,
    /// <c>text</c>); a field the payload lacks, or holds with another type, reads as the point's id (source), no
    /// headings, or empty text.
    /// </summary>
    public static AnswerPassage FromHit(ScoredPoint hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        var payload = hit.Payload;
        string source = payload?["source"] is JsonValue s && s.TryGetValue(out string? name) ? name : hit.Id.ToString();
        var headings = new List<string>();
        if (payload?["headings"] is JsonArray array)
        {
            foreach (var heading in array)
                if (heading is JsonValue value && value.TryGetValue(out string? title)) headings.Add(title);
        }
        string text = payload?["text"] is JsonValue t && t.TryGetValue(out string? chunk) ? chunk : "";
        return new AnswerPassage(source, headings, text, hit.Score);
    }
}
