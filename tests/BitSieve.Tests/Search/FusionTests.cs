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
        // adds 3 → 1, 4 → 0. BM25's top hit 3 is 1.22 units below 2 and cannot pass it.
        double sd = Math.Sqrt(0.32 / 3);
        var far = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.Ladder, vectorConfidence: 0.9, lexicalConfidence: 0.4);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], far.Select(h => h.Key));
        Assert.Equal([(float)(0.8 / sd), (float)(0.4 / sd), 1f, 0f], far.Select(h => h.Score));

        // 1 and 2 within one sd of each other (0.52, 0.50; sd 0.1934): a tie that BM25's hit 2 breaks.
        (ulong, double)[] close = [(1, 0.52), (2, 0.50), (3, 0.10)];
        var tie = Fusion.Fuse(close, [(2, 10), (4, 5)], vectorWeight: 1, k: 4, FusionRule.Ladder, vectorConfidence: 0.52, lexicalConfidence: 0.4);
        Assert.Equal([2UL, 1UL, 3UL, 4UL], tie.Select(h => h.Key));

        // BM25 more confident (0.9 > 0.3): it leads, parts (s − 5) / 2.5, 3 → 2, 4 → 0; the vectors add 1 → 1, 2 → 0.5.
        var lexicalLeads = Fusion.Fuse(Vector, Lexical, vectorWeight: 1, k: 4, FusionRule.Ladder, vectorConfidence: 0.3, lexicalConfidence: 0.9);
        Assert.Equal([3UL, 1UL, 2UL, 4UL], lexicalLeads.Select(h => h.Key));
        Assert.Equal([2f, 1f, 0.5f, 0f], lexicalLeads.Select(h => h.Score));
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
