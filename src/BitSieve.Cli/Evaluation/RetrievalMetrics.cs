using BitSieve.Ingest.Evaluation;

namespace BitSieve.Cli.Evaluation;

/// <summary>
/// Rank metrics with binary gains for one query: the ranking is given as one flag per retrieved item, best first
/// (true: relevant), and the number of relevant items in the whole collection.
/// </summary>
internal static class RetrievalMetrics
{
    /// <summary>The deepest cut-off the evaluation reports (MRR@10, nDCG@10).</summary>
    public const int Depth = 10;

    /// <summary>
    /// The relevance rule: a chunk answers a labelled query when it comes from the same source (ordinal comparison) and
    /// its span <c>[start, end)</c> shares at least one character with the labelled span, i.e.
    /// <c>start &lt; label.End &amp;&amp; label.Start &lt; end</c>.
    /// </summary>
    public static bool IsRelevant(LabelledQuery label, string? source, int start, int end)
    {
        ArgumentNullException.ThrowIfNull(label);
        return string.Equals(source, label.Source, StringComparison.Ordinal) && start < label.End && label.Start < end;
    }

    /// <summary>1 when a relevant item is among the first <paramref name="k"/>, else 0 (averaged over queries: Recall@k).</summary>
    public static double HitAt(IReadOnlyList<bool> ranking, int k)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        for (int i = 0; i < Math.Min(k, ranking.Count); i++)
            if (ranking[i]) return 1;
        return 0;
    }

    /// <summary>1 / rank of the first relevant item within the first <paramref name="depth"/> (rank from 1), else 0.</summary>
    public static double ReciprocalRank(IReadOnlyList<bool> ranking, int depth = Depth)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        for (int i = 0; i < Math.Min(depth, ranking.Count); i++)
            if (ranking[i]) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>
    /// nDCG@depth with binary gains: DCG = Σ_{i ≤ depth, item i relevant} 1 / log2(i + 1), divided by the DCG of the
    /// ideal ranking, which puts min(depth, <paramref name="relevantTotal"/>) relevant items first. 0 when nothing is relevant.
    /// </summary>
    public static double Ndcg(IReadOnlyList<bool> ranking, int relevantTotal, int depth = Depth)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(relevantTotal);
        double dcg = 0, ideal = 0;
        for (int i = 0; i < Math.Min(depth, ranking.Count); i++)
            if (ranking[i]) dcg += Discount(i);
        for (int i = 0; i < Math.Min(depth, relevantTotal); i++) ideal += Discount(i);
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>1 / log2(rank + 1) for the 0-based position <paramref name="i"/> (rank i + 1).</summary>
    private static double Discount(int i) => 1.0 / Math.Log2(i + 2);
}

/// <summary>The metrics of one method, averaged over the queries.</summary>
internal sealed class MetricTotals
{
    private double _r1, _r5, _r10, _mrr, _ndcg;

    /// <summary>Queries added.</summary>
    public int Queries { get; private set; }

    /// <summary>Fraction of queries with a relevant item at rank 1.</summary>
    public double RecallAt1 => Mean(_r1);

    /// <summary>Fraction of queries with a relevant item in the top 5.</summary>
    public double RecallAt5 => Mean(_r5);

    /// <summary>Fraction of queries with a relevant item in the top 10.</summary>
    public double RecallAt10 => Mean(_r10);

    /// <summary>Mean reciprocal rank, cut at 10.</summary>
    public double Mrr => Mean(_mrr);

    /// <summary>Mean nDCG@10.</summary>
    public double Ndcg => Mean(_ndcg);

    /// <summary>Adds one query's ranking.</summary>
    public void Add(IReadOnlyList<bool> ranking, int relevantTotal)
    {
        _r1 += RetrievalMetrics.HitAt(ranking, 1);
        _r5 += RetrievalMetrics.HitAt(ranking, 5);
        _r10 += RetrievalMetrics.HitAt(ranking, 10);
        _mrr += RetrievalMetrics.ReciprocalRank(ranking);
        _ndcg += RetrievalMetrics.Ndcg(ranking, relevantTotal);
        Queries++;
    }

    private double Mean(double sum) => Queries == 0 ? 0 : sum / Queries;
}
