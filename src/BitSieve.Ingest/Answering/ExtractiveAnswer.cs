using System.Text;

namespace BitSieve.Ingest.Answering;

/// <summary>How matched terms are marked in an extractive answer's text.</summary>
public enum HighlightStyle
{
    /// <summary>Not marked.</summary>
    Plain,

    /// <summary>ANSI bold (<c>ESC[1m … ESC[22m</c>), for a terminal.</summary>
    Ansi,

    /// <summary>Markdown bold: <c>**…**</c>.</summary>
    Markdown,
}

/// <summary>The sentences an <see cref="ExtractiveAnswerer"/> chose, best first; empty when no sentence matched the question.</summary>
/// <param name="Sentences">The sentences.</param>
public sealed record ExtractiveAnswer(IReadOnlyList<AnswerSentence> Sentences)
{
    /// <summary>The sentences joined by a space, each followed by its passage's number (<c>[1]</c>), marked in <paramref name="style"/>.</summary>
    public string Format(HighlightStyle style) =>
        string.Join(" ", Sentences.Select(s => $"{s.Highlight(style)} [{s.Passage}]"));
}

/// <summary>A sentence of an extractive answer.</summary>
/// <param name="Text">The sentence as it stands in the passage (line breaks included).</param>
/// <param name="Passage">The number of the passage it comes from (1 = the best).</param>
/// <param name="Score">Its score: BM25 divided by the best candidate's, plus the rank prior.</param>
/// <param name="Matches">The spans of <paramref name="Text"/> that match the question's terms, in order, not overlapping.</param>
public sealed record AnswerSentence(string Text, int Passage, double Score, IReadOnlyList<Range> Matches)
{
    /// <summary>The sentence on one line (line breaks read as spaces), its matched spans marked in <paramref name="style"/>.</summary>
    public string Highlight(HighlightStyle style)
    {
        (string open, string close) = style switch
        {
            HighlightStyle.Ansi => ("\u001b[1m", "\u001b[22m"),
            HighlightStyle.Markdown => ("**", "**"),
            _ => ("", ""),
        };
        var line = new StringBuilder(Text.Length + Matches.Count * (open.Length + close.Length));
        int position = 0;
        foreach (var match in Matches)
        {
            var (start, length) = match.GetOffsetAndLength(Text.Length);
            line.Append(Text, position, start - position).Append(open).Append(Text, start, length).Append(close);
            position = start + length;
        }
        line.Append(Text, position, Text.Length - position);
        // Line breaks become spaces one for one, so the spans' offsets still hold on the one-line form.
        return line.Replace('\r', ' ').Replace('\n', ' ').ToString();
    }
}
