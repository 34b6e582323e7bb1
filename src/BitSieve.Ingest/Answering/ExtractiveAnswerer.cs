namespace BitSieve.Ingest.Answering;

/// <summary>
/// An answer without a language model: the sentence(s) of the top passages that best match the question, with the
/// question's terms marked.
/// </summary>
/// <remarks>
/// <para>The candidates are the sentences of the first <see cref="ExtractiveAnswerOptions.TopPassages"/> passages.
/// A passage is split into paragraphs at blank lines and at lines that start a heading, list item or table row;
/// a paragraph into sentences after <c>.</c>, <c>!</c> or <c>?</c> followed by a space, and after <c>。</c>,
/// <c>！</c> or <c>？</c> (with any closing bracket or quote). Markdown headings are not candidates.</para>
/// <para>Each candidate s is scored with Okapi BM25 against the question's terms (<see cref="AnswerTerms"/>: stemmed
/// English words without stop words, CJK bigrams without Hiragana), the candidates being the collection:
/// <c>bm25(s) = Σ_t idf(t) · tf(t,s)·(k1+1) / (tf(t,s) + k1·(1 − b + b·|s|/avg|s|))</c> with k1 = 1.2, b = 0.75 and
/// <c>idf(t) = ln(1 + (N − n_t + 0.5)/(n_t + 0.5))</c>. So a sentence wins by matching more of the question's rarer
/// terms, and a long sentence does not win by length alone. The passage's rank r (1 = best) adds a prior:
/// <c>score = bm25(s)/max bm25 + w/r</c> (w = <see cref="ExtractiveAnswerOptions.RankWeight"/>, 0.2), so a sentence of
/// a lower passage must match clearly better to beat one of a higher passage, as the search's ranking also saw the
/// passages' other sentences and the question's meaning. A sentence that matches no term is never chosen.</para>
/// <para>The answer is the best sentence, followed by up to <see cref="ExtractiveAnswerOptions.MaxSentences"/> − 1
/// more whose BM25 is at least half the best one's, best first.</para>
/// </remarks>
public static class ExtractiveAnswerer
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>The sentence(s) of <paramref name="passages"/> (best first) that best answer <paramref name="question"/>; none when no sentence matches a term of it.</summary>
    public static ExtractiveAnswer Answer(string question, IReadOnlyList<AnswerPassage> passages, ExtractiveAnswerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(passages);
        options ??= new ExtractiveAnswerOptions();
        options.Validate();
        var questionTerms = AnswerTerms.OfQuestion(question);
        if (questionTerms.Count == 0) return new ExtractiveAnswer([]);

        var candidates = new List<Candidate>();
        for (int p = 0; p < Math.Min(options.TopPassages, passages.Count); p++)
        {
            string text = passages[p].Text;
            foreach (var (start, length) in SentenceSplitter.Split(text))
            {
                var terms = AnswerTerms.Tokenize(text.Substring(start, length));
                if (terms.Count > 0) candidates.Add(new Candidate(p + 1, start, text.Substring(start, length), terms));
            }
        }
        if (candidates.Count == 0) return new ExtractiveAnswer([]);

        // Document frequencies of the question's terms over the candidate sentences.
        var frequency = questionTerms.ToDictionary(t => t, t => candidates.Count(c => c.Terms.Any(s => s.Term == t)), StringComparer.Ordinal);
        double averageLength = candidates.Average(c => c.Terms.Count);
        int n = candidates.Count;
        foreach (var candidate in candidates)
        {
            double score = 0;
            foreach (string term in questionTerms)
            {
                int tf = candidate.Terms.Count(s => s.Term == term);
                if (tf == 0) continue;
                double idf = Math.Log(1 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5));
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * candidate.Terms.Count / averageLength));
            }
            candidate.Bm25 = score;
        }
        double best = candidates.Max(c => c.Bm25);
        if (best <= 0) return new ExtractiveAnswer([]);

        var ranked = candidates.Where(c => c.Bm25 > 0)
            .OrderByDescending(c => c.Bm25 / best + options.RankWeight / c.Passage)
            .ThenBy(c => c.Passage).ThenBy(c => c.Start).ToList();
        double first = ranked[0].Bm25;
        var chosen = ranked.Take(1).Concat(ranked.Skip(1).Where(c => c.Bm25 >= first / 2).Take(options.MaxSentences - 1));
        return new ExtractiveAnswer(chosen.Select(c => new AnswerSentence(c.Text, c.Passage, c.Bm25 / best + options.RankWeight / c.Passage,
            Marks(c.Terms.Where(s => questionTerms.Contains(s.Term))))).ToList());
    }

    /// <summary>The matched terms' spans, overlapping ones (CJK bigrams) merged, in order.</summary>
    private static List<Range> Marks(IEnumerable<TermSpan> matched)
    {
        var marks = new List<(int Start, int End)>();
        foreach (var span in matched.OrderBy(s => s.Start))
        {
            if (marks.Count > 0 && span.Start <= marks[^1].End) marks[^1] = (marks[^1].Start, Math.Max(marks[^1].End, span.Start + span.Length));
            else marks.Add((span.Start, span.Start + span.Length));
        }
        return marks.Select(m => new Range(m.Start, m.End)).ToList();
    }

    private sealed class Candidate(int passage, int start, string text, List<TermSpan> terms)
    {
        public int Passage { get; } = passage;

        public int Start { get; } = start;

        public string Text { get; } = text;

        public List<TermSpan> Terms { get; } = terms;

        public double Bm25 { get; set; }
    }
}

/// <summary>How many passages and sentences an <see cref="ExtractiveAnswerer"/> answer draws on.</summary>
public sealed class ExtractiveAnswerOptions
{
    /// <summary>The passages whose sentences are candidates (default 3, the best ones).</summary>
    public int TopPassages { get; init; } = 3;

    /// <summary>The most sentences in the answer (default 2).</summary>
    public int MaxSentences { get; init; } = 2;

    /// <summary>The weight w of the passage-rank prior w/r (default 0.2; 0 ranks sentences by BM25 alone).</summary>
    public double RankWeight { get; init; } = 0.2;

    internal void Validate()
    {
        if (TopPassages < 1) throw new ArgumentOutOfRangeException(nameof(TopPassages), TopPassages, "At least one passage must be read.");
        if (MaxSentences < 1) throw new ArgumentOutOfRangeException(nameof(MaxSentences), MaxSentences, "At least one sentence must be allowed.");
        if (!double.IsFinite(RankWeight) || RankWeight < 0) throw new ArgumentOutOfRangeException(nameof(RankWeight), RankWeight, "The rank weight must be finite and not negative.");
    }
}
