using BitSieve.Search;

namespace BitSieve.Tests.Search;

/// <summary>The fusion rules of hybrid search on hand-made lists, scores computed by hand.</summary>
public sealed class FusionTests
{
    // Vector: 1 (0.9), 2 (0.5), 3 (0.1) → min-max parts 1, 0.5, 0. BM25: 3 (10), 4 (5) → parts 1, 0.
    private static readonly (ulong, double)[] Vector = [(1, 0.9), (2, 0.5), (3, 0.1)];
    private static readonly (ulong, double)[] Lexical = [(3, 10), (4, 5)];

    [Fact]
    public void Confidence_weights_each_list_by_its_own_confidence()
    {
        // A sure vector list (0.9) and a weak BM25 one (0.4): 1 → 0.9, 2 → 0.45, 3 → 0 + 0.4, 4 → 0.
        var sureVector = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.Confidence, vectorConfidence: 0.9, lexicalConfidence: 0.4);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], sureVector.Select(h => h.Key));
        Assert.Equal([0.9f, 0.45f, 0.4f, 0f], sureVector.Select(h => h.Score));

        // The same lists, BM25 sure (0.9) and the vectors not (0.3): 3 → 0.9, 1 → 0.3, 2 → 0.15, 4 → 0.
        var sureLexical = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.Confidence, vectorConfidence: 0.3, lexicalConfidence: 0.9);
        Assert.Equal([3UL, 1UL, 2UL, 4UL], sureLexical.Select(h => h.Key));
        Assert.Equal([0.9f, 0.3f, 0.15f, 0f], sureLexical.Select(h => h.Score));

        // Equal-vote RRF ignores both: 3 is at rank 3 and rank 1, 1/63 + 1/61, first whatever the lists' confidence.
        var rrf = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.ReciprocalRank, vectorConfidence: 0.9, lexicalConfidence: 0.1);
        Assert.Equal(3UL, rrf[0].Key);
        Assert.Equal((float)(1.0 / 63 + 1.0 / 61), rrf[0].Score);
    }

    [Fact]
    public void Ladder_lets_the_follower_reorder_only_the_leaders_near_ties()
    {
        // The vectors lead (0.9 ≥ 0.4). Their sd is √(0.32/3): parts (s − 0.1) / sd, 1 → 2.4495, 2 → 1.2247, 3 → 0; BM25
        // adds 3 → 1, 4 → 0 (4, which the vectors do not hold, on their floor: BM25's list is not known to be exhaustive).
        // BM25's top hit 3 is 1.22 units below 2 and cannot pass it.
        double sd = Math.Sqrt(0.32 / 3);
        var far = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.Ladder, vectorConfidence: 0.9, lexicalConfidence: 0.4);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], far.Select(h => h.Key));
        Assert.Equal([(float)(0.8 / sd), (float)(0.4 / sd), 1f, 0f], far.Select(h => h.Score));

        // 1 and 2 within one sd of each other (0.52, 0.50; sd 0.1934): a tie that BM25's hit 2 breaks.
        (ulong, double)[] close = [(1, 0.52), (2, 0.50), (3, 0.10)];
        var tie = Fusion.Fuse(close, [(2, 10), (4, 5)], vectorWeight: 1, k: 4, FusionRule.Ladder, vectorConfidence: 0.52, lexicalConfidence: 0.4);
        Assert.Equal([2UL, 1UL, 3UL, 4UL], tie.Select(h => h.Key));
    }

    [Fact]
    public void Ladder_places_a_hit_bm25_does_not_hold_at_the_vectors_rank_for_it()
    {
        // BM25 leads (0.9 > 0.3): mean 6, sd √(32/3), parts (s − 2) / sd: 3 → 2.4495, 4 → 1.2247, 5 → 0. The vectors add
        // min-max parts: 3 → 0.5. 1 and 2, which BM25 does not hold, take BM25's part at the vectors' rank for them: 1
        // (rank 1) → 2.4495, ahead of BM25's second hit; 2 (rank 3) → 0. As BM25's floor plus at most one unit, 1 would
        // score 1 and fall behind 4.
        double sd = Math.Sqrt(32.0 / 3);
        var fused = Fusion.Fuse([(1, 0.9), (3, 0.5), (2, 0.1)], [(3, 10), (4, 6), (5, 2)], vectorWeight: 1, k: 5, FusionRule.Ladder,
            vectorConfidence: 0.3, lexicalConfidence: 0.9);
        Assert.Equal([3UL, 1UL, 4UL, 2UL, 5UL], fused.Select(h => h.Key));
        Assert.Equal([(float)(8 / sd + 0.5), (float)(8 / sd), (float)(4 / sd), 0f, 0f], fused.Select(h => h.Score));
    }

    [Fact]
    public void Ladder_places_a_keyword_match_the_vectors_miss_by_bm25s_rank_only_when_its_list_is_exhaustive()
    {
        // The vectors lead (top cosine 0.9 against BM25's share 7 / 17.5 = 0.4): parts 1 → 2.4495, 2 → 1.2247, 3 → 0.
        // BM25 holds one point, 4, which the vectors do not.
        (ulong, float)[] vector = [(1, 0.9f), (2, 0.5f), (3, 0.1f)];
        (ulong, double)[] lexical = [(4, 7)];

        // Asked for one candidate, BM25's list is full: more points may hold the query's words, and 4 gets the vectors'
        // floor plus BM25's part, 0 + 1, behind 2.
        var full = Fusion.Hybrid(vector, lexical, attainable: 17.5, Metric.Cosine, vectorWeight: 1, k: 4, pool: 1, FusionRule.Ladder);
        Assert.Equal([1UL, 2UL, 4UL, 3UL], full.Select(h => h.Key));

        // Asked for 50, it came back with one: 4 is the only point holding them, and it takes the vectors' part at BM25's
        // rank for it, their top hit's (tied with 1, which keeps the smaller key).
        var exhaustive = Fusion.Hybrid(vector, lexical, attainable: 17.5, Metric.Cosine, vectorWeight: 1, k: 4, pool: 50, FusionRule.Ladder);
        Assert.Equal([1UL, 4UL, 2UL, 3UL], exhaustive.Select(h => h.Key));
        Assert.Equal(exhaustive[0].Score, exhaustive[1].Score);

        // Two points BM25 scores equally share its best rank for them, whatever their order in its list: 5 and 4 both take
        // the vectors' top part.
        var tied = Fusion.Hybrid(vector, [(5, 7), (4, 7)], attainable: 17.5, Metric.Cosine, vectorWeight: 1, k: 5, pool: 50, FusionRule.Ladder);
        Assert.Equal([1UL, 4UL, 5UL, 2UL, 3UL], tied.Select(h => h.Key));
        Assert.Equal([tied[0].Score, tied[0].Score], tied.Skip(1).Take(2).Select(h => h.Score));
    }

    [Fact]
    public void Confidences_outside_zero_to_one_are_clamped()
    {
        var fused = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.Confidence, vectorConfidence: -0.2, lexicalConfidence: 3);
        // The vectors weigh 0 and BM25 1: 3 scores 1, the rest 0, tied, in key order.
        Assert.Equal([3UL, 1UL, 2UL, 4UL], fused.Select(h => h.Key));
        Assert.Equal([1f, 0f, 0f, 0f], fused.Select(h => h.Score));
    }

    [Fact]
    public void At_vector_weight_zero_every_rule_keeps_bm25_order_and_fills_up_in_vector_order()
    {
        foreach (var rule in Enum.GetValues<FusionRule>())
        {
            var fused = Fusion.Fuse(Vector, Lexical, vectorWeight: 0, k: 4, rule, vectorConfidence: 1, lexicalConfidence: 0.5);
            Assert.Equal([3UL, 4UL, 1UL, 2UL], fused.Select(h => h.Key));
        }
    }

    [Fact]
    public void Standardized_scores_give_a_missing_hit_the_lists_minimum()
    {
        // Vector z: mean 0.5, sd √(0.32/3): 1 → 1.2247, 2 → 0, 3 → −1.2247. BM25 z: 3 → 1, 4 → −1 (its minimum for 1 and 2).
        double sd = Math.Sqrt(0.32 / 3);
        var fused = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.ZScore);
        Assert.Equal([1UL, 3UL, 2UL, 4UL], fused.Select(h => h.Key));
        Assert.Equal((float)(0.4 / sd - 1), fused[0].Score, 5);
        Assert.Equal((float)(-0.4 / sd + 1), fused[1].Score, 5);
    }
}
