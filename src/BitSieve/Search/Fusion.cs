namespace BitSieve.Search;

/// <summary>How <see cref="Fusion"/> combines the vector list and the lexical (BM25) list of a hybrid search.</summary>
internal enum FusionRule
{
    /// <summary>
    /// Reciprocal rank fusion (Cormack et al., 2009): a hit at rank r (from 1) of a list adds that list's weight /
    /// (<see cref="Collection.RrfK"/> + r). Uses ranks only.
    /// </summary>
    ReciprocalRank,

    /// <summary>
    /// A convex combination of min-max normalized scores: each list's scores mapped to [0, 1] over its own candidates,
    /// a hit missing from a list scoring that list's 0.
    /// </summary>
    MinMax,

    /// <summary>
    /// A sum of standardized scores (CombSUM of z-scores): each list's scores as (s − mean) / standard deviation over its
    /// own candidates, a hit missing from a list scoring that list's minimum.
    /// </summary>
    ZScore,

    /// <summary>
    /// A convex combination of min-max normalized scores (as <see cref="MinMax"/>) whose weights are each list's own
    /// confidence in this query, both on an absolute scale of [0, 1]: the vector list's is its top hit's cosine
    /// similarity, BM25's the share of the query's attainable BM25 score that its top hit reaches (see
    /// <see cref="Fusion.Fuse"/>). A list that found nothing close weighs little, whatever its ranks. The default until
    /// 2026-12-06: on real questions BM25's hits sharing common words overtake a vector top hit that stands clearly
    /// ahead (docs/benchmarks.md, "Real questions and fusion").
    /// </summary>
    Confidence,

    /// <summary>
    /// The more confident list leads and the other breaks its near-ties (the precision ladder's idea applied to
    /// fusion). The list whose confidence (as <see cref="Confidence"/>: top cosine, BM25's share of its attainable
    /// score) is the higher orders the hits it holds by its scores in units of its own noise, the standard deviation of
    /// its candidates' scores for this query; the other list adds its min-max normalized score, at most one unit. Hits
    /// the leader holds within one standard deviation of each other are ties the follower may reorder; farther apart,
    /// the follower cannot reorder them. A hit the leader does not hold at all is a disagreement, not a near-tie, and
    /// is placed by the follower's own order, at the leader's part of the follower's rank for it (its r-th hit scores
    /// what the leader's r-th scores from the leader), where the leader's absence says nothing against it: BM25 not
    /// holding a hit says only that it shares fewer of the query's words than BM25's last candidate, as a paraphrase
    /// does, so a hit only the vectors hold is always placed so; the vectors not holding a hit say that the model puts
    /// its meaning below their last candidate, which counts against it, unless BM25's list ended before the pool
    /// (every point holding any of the query's words is in it: a rare name, a code, a word the model cannot place).
    /// Otherwise the hit gets the leader's floor (0) and the follower's part. The default.
    /// </summary>
    Ladder,
}

/// <summary>
/// The fusion of hybrid search, in one place: the vector list and BM25's, each best first, become one ranking.
/// </summary>
internal static class Fusion
{
    /// <summary>The rule <see cref="Collection.SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/> uses.</summary>
    public const FusionRule Default = FusionRule.Ladder;

    /// <summary>
    /// Hybrid search's ranking of its two candidate lists, as <see cref="Collection.SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/>
    /// computes it (and a cluster over its shards' merged lists): the vector scores made higher-is-better (a Euclidean
    /// distance negated), each list's confidence under <see cref="FusionRule.Confidence"/> and <see cref="FusionRule.Ladder"/>, then <see cref="Fuse"/>.
    /// </summary>
    /// <param name="vector">The vector list, best first, with the metric's scores.</param>
    /// <param name="lexical">BM25's list, best first.</param>
    /// <param name="attainable">The query's attainable BM25 score (<see cref="Storage.LexicalHits.Attainable"/>).</param>
    /// <param name="metric">The collection's metric.</param>
    /// <param name="vectorWeight">The vector list's weight.</param>
    /// <param name="k">How many to return.</param>
    /// <param name="pool">How many candidates each list was asked for: BM25's list shorter than that holds every point with any of the query's terms.</param>
    /// <param name="rule">The rule.</param>
    public static List<(ulong Key, float Score)> Hybrid(IReadOnlyList<(ulong Key, float Score)> vector, IReadOnlyList<(ulong Key, double Score)> lexical,
        double attainable, Metric metric, double vectorWeight, int k, int pool, FusionRule rule = Default)
    {
        double sign = metric == Metric.Euclidean ? -1 : 1;
        double vectorConfidence = 1, lexicalConfidence = 1;
        if (rule is FusionRule.Confidence or FusionRule.Ladder)
        {
            // Each list's confidence on an absolute scale: the top hit's cosine similarity (a metric without a bounded
            // similarity counts as sure, 1), and the share of the query's attainable BM25 score its top hit reaches.
            vectorConfidence = metric == Metric.Cosine ? (vector.Count > 0 ? vector[0].Score : 0) : 1;
            lexicalConfidence = attainable > 0 && lexical.Count > 0 ? lexical[0].Score / attainable : 0;
        }
        return Fuse([.. vector.Select(h => (h.Key, sign * h.Score))], lexical, vectorWeight, k, rule, vectorConfidence, lexicalConfidence,
            lexicalExhaustive: lexical.Count < pool);
    }

    /// <summary>
    /// Fuses the two lists and returns the best <paramref name="k"/> with their fused scores. <paramref name="vector"/>
    /// and <paramref name="lexical"/> are best first; their scores are higher-is-better. The vector list's part is
    /// multiplied by <paramref name="vectorWeight"/>; at 0 the lexical list orders the hits and the vector list only
    /// fills up, in its own order. Remaining ties go to the smaller key.
    /// </summary>
    /// <param name="vector">The vector list, best first.</param>
    /// <param name="lexical">BM25's list, best first.</param>
    /// <param name="vectorWeight">The vector list's weight (see <see cref="Collection.HybridVectorWeight"/>).</param>
    /// <param name="k">How many to return.</param>
    /// <param name="rule">The rule.</param>
    /// <param name="vectorConfidence">For <see cref="FusionRule.Confidence"/> and <see cref="FusionRule.Ladder"/>: the vector list's confidence in [0, 1].</param>
    /// <param name="lexicalConfidence">For <see cref="FusionRule.Confidence"/> and <see cref="FusionRule.Ladder"/>: BM25's confidence in [0, 1].</param>
    /// <param name="lexicalExhaustive">For <see cref="FusionRule.Ladder"/>: BM25's list holds every point with any of the query's terms (it came back shorter than the pool).</param>
    public static List<(ulong Key, float Score)> Fuse(IReadOnlyList<(ulong Key, double Score)> vector, IReadOnlyList<(ulong Key, double Score)> lexical,
        double vectorWeight, int k, FusionRule rule, double vectorConfidence = 1, double lexicalConfidence = 1, bool lexicalExhaustive = false)
    {
        // The ladder: the leader's parts in units of its noise, the follower's min-max. A vector list of weight 0 never
        // leads (the query is one its model cannot read).
        bool ladder = rule == FusionRule.Ladder;
        bool vectorLeads = ladder && vectorWeight > 0 && Math.Clamp(vectorConfidence, 0, 1) >= Math.Clamp(lexicalConfidence, 0, 1);
        double[] vectorParts = Parts(vector, rule, ladderLeader: vectorLeads, out double vectorMissing);
        double[] lexicalParts = Parts(lexical, rule, ladderLeader: ladder && !vectorLeads, out double lexicalMissing);
        double vectorScale = vectorWeight, lexicalScale = 1;
        if (rule == FusionRule.Confidence)
        {
            vectorScale *= Math.Clamp(vectorConfidence, 0, 1);
            lexicalScale *= Math.Clamp(lexicalConfidence, 0, 1);
        }
        // Under the ladder, whether a hit the leader does not hold is placed at the leader's part of the follower's rank
        // for it: always when BM25 leads, when the vectors lead only if BM25's list is exhaustive (see FusionRule.Ladder).
        bool placeByRank = ladder && (!vectorLeads || lexicalExhaustive);
        double[] leaderParts = vectorLeads ? vectorParts : lexicalParts;
        // Per point: its part and its rank in each list (from 0, equal scores sharing the best one; −1: not held).
        var parts = new Dictionary<ulong, (double Vector, double Lexical, int VectorRank, int LexicalRank)>();
        int[] vectorRanks = Ranks(vector), lexicalRanks = Ranks(lexical);
        for (int r = 0; r < vector.Count; r++)
            parts[vector[r].Key] = (vectorParts[r], 0, vectorRanks[r], -1);
        for (int r = 0; r < lexical.Count; r++)
            parts[lexical[r].Key] = parts.TryGetValue(lexical[r].Key, out var p)
                ? p with { Lexical = lexicalParts[r], LexicalRank = lexicalRanks[r] }
                : (0, lexicalParts[r], -1, lexicalRanks[r]);
        var fused = new List<(ulong Key, double Score, bool InLexical, double Vector)>(parts.Count);
        foreach (var (key, p) in parts)
        {
            double v = p.VectorRank >= 0 ? p.Vector : vectorMissing;
            double l = p.LexicalRank >= 0 ? p.Lexical : lexicalMissing;
            double score = vectorScale * v + lexicalScale * l;
            if (placeByRank && (vectorLeads ? p.VectorRank : p.LexicalRank) < 0)
            {
                // The leader's part at the follower's rank, under both lists' weights (at vector weight 0 nothing: the
                // vectors only fill up).
                int rank = vectorLeads ? p.LexicalRank : p.VectorRank;
                score = vectorScale * lexicalScale * (rank < leaderParts.Length ? leaderParts[rank] : 0);
            }
            fused.Add((key, score, p.LexicalRank >= 0, v));
        }
        // At weight 0, what the fused score leaves tied goes to BM25's hits, then by the vector part (the limit of a
        // vanishing weight): the vector list only fills up.
        bool fillUp = vectorWeight == 0;
        return [.. fused.OrderByDescending(f => f.Score).ThenByDescending(f => fillUp && f.InLexical).ThenByDescending(f => fillUp ? f.Vector : 0)
            .ThenBy(f => f.Key).Take(k).Select(f => (f.Key, (float)f.Score))];
    }

    /// <summary>
    /// Each hit's part under the rule, and the part of a hit the list does not hold. <paramref name="ladderLeader"/>:
    /// the list leads under <see cref="FusionRule.Ladder"/> (its follower takes the min-max parts).
    /// </summary>
    private static double[] Parts(IReadOnlyList<(ulong Key, double Score)> list, FusionRule rule, bool ladderLeader, out double missing)
    {
        var parts = new double[list.Count];
        missing = 0;
        if (list.Count == 0) return parts;
        if (ladderLeader)
        {
            // (score − the lowest) / the standard deviation: scores closer than one unit are within the list's own noise
            // for this query. A list whose scores are all equal (or one hit) cannot order its hits: every part is 0.
            double min = list.Min(h => h.Score);
            var (_, deviation) = Moments(list);
            for (int r = 0; r < list.Count; r++) parts[r] = deviation > 0 ? (list[r].Score - min) / deviation : 0;
            return parts;
        }
        switch (rule)
        {
            case FusionRule.ReciprocalRank:
                for (int r = 0; r < list.Count; r++) parts[r] = 1.0 / (Collection.RrfK + r + 1);
                break;
            case FusionRule.MinMax:
            case FusionRule.Confidence:
            case FusionRule.Ladder:
            {
                double max = list.Max(h => h.Score), min = list.Min(h => h.Score);
                for (int r = 0; r < list.Count; r++) parts[r] = max > min ? (list[r].Score - min) / (max - min) : 1;
                break;
            }
            case FusionRule.ZScore:
            {
                var (mean, deviation) = Moments(list);
                for (int r = 0; r < list.Count; r++) parts[r] = deviation > 0 ? (list[r].Score - mean) / deviation : 0;
                missing = parts.Min();
                break;
            }
        }
        return parts;
    }

    /// <summary>Each hit's rank in its list, from 0, hits of equal score sharing the best of theirs (1, 2, 2, 4), so that their order among themselves places none of them.</summary>
    private static int[] Ranks(IReadOnlyList<(ulong Key, double Score)> list)
    {
        var ranks = new int[list.Count];
        for (int r = 1; r < list.Count; r++) ranks[r] = list[r].Score == list[r - 1].Score ? ranks[r - 1] : r;
        return ranks;
    }

    private static (double Mean, double Deviation) Moments(IReadOnlyList<(ulong Key, double Score)> list)
    {
        double mean = list.Average(h => h.Score);
        double variance = list.Sum(h => (h.Score - mean) * (h.Score - mean)) / list.Count;
        return (mean, Math.Sqrt(variance));
    }
}
