using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// Filtered traversal on the real fixture (docs-minilm-2k): with a seeded random allowed set, the graph returns only
/// allowed points, and its recall@10 against the exact filtered top 10 holds at selectivities from 2 % to 50 %
/// (two-hop expansion crosses the disallowed nodes); the planner's choice between direct scoring, the flat cascade and
/// the traversal.
/// </summary>
public sealed class GraphFilterTests
{
    private const int Dim = MiniLmFixture.Dimension, K = 10, Queries = 100;

    [Theory]
    [InlineData(0.5, 64, 0.97)]
    [InlineData(0.1, 64, 0.95)]
    [InlineData(0.02, 64, 0.9)]
    public void A_filtered_traversal_returns_only_allowed_points_and_finds_the_filtered_top_k(double fraction, int ef, double floor)
    {
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        index.UpsertBatch(Enumerable.Range(0, MiniLmFixture.BaseRows).Select(r => (ulong)r).ToArray(), MiniLmFixture.Base);
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        var random = new Random(7);
        var keys = Enumerable.Range(0, MiniLmFixture.BaseRows).Where(_ => random.NextDouble() < fraction).Select(r => (ulong)r).ToArray();
        var allowed = new ulong[(MiniLmFixture.BaseRows + 63) / 64];
        foreach (ulong key in keys) allowed[key >> 6] |= 1UL << (int)(key & 63);

        double found = 0;
        for (int q = 0; q < Queries; q++)
        {
            var query = MiniLmFixture.Queries.AsSpan(q * Dim, Dim);
            var truth = index.Search(query, new SearchOptions { K = K, Exhaustive = true }, keys).Hits.Select(h => h.Id).ToHashSet();
            var result = index.SearchGraph(graph, query, K, ef, Quality.Default, new AllowedSet(keys, rejected: false));
            Assert.All(result.Result.Hits, h => Assert.True((allowed[h.Id >> 6] & (1UL << (int)(h.Id & 63))) != 0, $"point {h.Id} is not allowed"));
            Assert.True(result.Graph.Estimates <= result.Graph.Visited);
            found += result.Result.Hits.Count(h => truth.Contains(h.Id));
        }
        double recall = found / (K * Queries);
        Assert.True(recall >= floor, $"recall@10 {recall:F4} with {keys.Length} allowed points at ef {ef}");
    }

    private static GraphCalibration Calibration(GraphPath path, double graphCost, int live) => new(path, 48, 0.995, 0.998, graphCost, live, 200, live);

    [Fact]
    public void The_planner_scores_few_allowed_points_directly_and_traverses_only_a_cheap_graph_at_a_broad_filter()
    {
        const int Live = 1_000_000;
        var cheap = Calibration(GraphPath.Graph, 20_000, Live);
        Assert.Equal(GraphSearchPlan.ScoreAllowed, GraphPlanner.Choose(1_000, Live, cheap));
        // 5 %: above direct scoring, below the fraction the traversal is trusted at.
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(50_000, Live, cheap));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(100_000, Live, cheap));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(Live, Live, cheap));
        // A graph that costs 60 % of the flat scan unfiltered costs more than it at half the points allowed.
        var dear = Calibration(GraphPath.Graph, 600_000, Live);
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(Live, Live, dear));
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(Live / 2, Live, dear));
        // A calibration that chose flat is never overruled.
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(Live, Live, Calibration(GraphPath.Flat, 20_000, Live)));
    }
}
