using System.Text.RegularExpressions;

namespace BitSieve.Ingest.Answering;

/// <summary>A numbered reference to a passage sent to the model: <c>[1] guide/install.md § Install</c>.</summary>
/// <param name="Number">The passage's number in the prompt (1-based).</param>
/// <param name="Passage">The passage.</param>
public sealed record Citation(int Number, AnswerPassage Passage)
{
    /// <summary>The citation as printed: <c>[n] source § heading &gt; heading</c>.</summary>
    public override string ToString() => $"[{Number}] {Passage.Location}";
}

/// <summary>
/// The citations that end a generated answer: the passages the reply cites by number (<c>[2]</c>, <c>[1, 3]</c>,
/// <c>[1][3]</c>, full-width <c>［2］</c>), in number order; or, when it cites none, every passage that was sent, with
/// <see cref="CitedByReply"/> false so that the reader is told.
/// </summary>
public sealed partial record CitationList(IReadOnlyList<Citation> Citations, bool CitedByReply)
{
    /// <summary>The citations of <paramref name="reply"/>, a model's answer to <paramref name="prompt"/>; numbers outside the prompt's passages are ignored.</summary>
    public static CitationList FromReply(string reply, AnswerPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(prompt);
        var cited = new SortedSet<int>();
        foreach (Match match in CitationPattern().Matches(reply))
        {
            foreach (Capture number in match.Groups["n"].Captures)
            {
                if (int.TryParse(number.Value, out int n) && n >= 1 && n <= prompt.Passages.Count)
                    cited.Add(n);
            }
        }
        return cited.Count > 0
            ? new CitationList(cited.Select(n => new Citation(n, prompt.Passages[n - 1])).ToList(), CitedByReply: true)
            : new CitationList(prompt.Passages.Select((p, i) => new Citation(i + 1, p)).ToList(), CitedByReply: false);
    }

    /// <summary>
    /// A bracketed list of passage numbers: <c>[1]</c>, <c>[1, 3]</c>, <c>[1; 3]</c>, in ASCII or full-width brackets
    /// with ASCII digits.
    /// </summary>
    [GeneratedRegex(@"[\[［]\s*(?<n>[0-9]{1,3})(?:\s*[,;、，]\s*(?<n>[0-9]{1,3}))*\s*[\]］]", RegexOptions.CultureInvariant)]
    private static partial Regex CitationPattern();
}
