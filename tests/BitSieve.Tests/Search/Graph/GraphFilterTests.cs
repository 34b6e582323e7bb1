using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// Filtered traversal on the real fixture (docs-minilm-2k): with a seeded random allowed set, the graph returns only
/// allowed points, and its recall@10 against the exact filtered top 10 holds at selectivities from 2 % to 50 %
/// (two-hop expansion crosses the disallowed nodes); the planner's choice between direct scoring, the flat cascade and
/// the traversal from the calibration's filtered trials.
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
            found += result.Result.Hits.Count(h => truth.Contains(h.Id));
        }
        double recall = found / (K * Queries);
        Assert.True(recall >= floor, $"recall@10 {recall:F4} with {keys.Length} allowed points at ef {ef}");
    }

    private static GraphCalibration Calibration(GraphPath path, double graphCost, int live, params FilteredTrial[] trials) =>
        new(path, 48, 0.995, 0.998, graphCost, live, 200, live) { Filtered = trials, TimedGraphCost = graphCost };

    [Fact]
    public void The_planner_traverses_only_where_the_calibrations_filtered_trials_held_and_at_their_beam_width()
    {
        const int Live = 1_000_000;
        // Held at 50 % (ef 64) and 20 % (ef 96); no width held at 10 %.
        var measured = Calibration(GraphPath.Graph, 20_000, Live,
            new FilteredTrial(0.5, 64, 0.997, 40_000, Live), new FilteredTrial(0.2, 96, 0.996, 100_000, Live), new FilteredTrial(0.1, 0, 0.98, 300_000, Live));
        Assert.Equal(GraphSearchPlan.ScoreAllowed, GraphPlanner.Choose(1_000, Live, measured));
        // 15 %: the broadest trial at or below it (10 %) did not hold.
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(150_000, Live, measured));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(200_000, Live, measured, out int ef));
        Assert.Equal(96, ef);
        // Between measured points the width is interpolated linearly in 1/fraction and rounded up: at 30 %, 4/9 of the
        // way from 50 % (ef 64) to 20 % (ef 96), 78.2; at 70 %, 3/7 of the way from the unfiltered ef 48 to 50 %, 54.9.
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(300_000, Live, measured, out ef));
        Assert.Equal(79, ef);
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(700_000, Live, measured, out ef));
        Assert.Equal(55, ef);
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(Live, Live, measured, out ef));
        Assert.Equal(48, ef);
        // The traversal's cost, linear in 1/fraction between the unfiltered 600,000 at 1 and 1,100,000 measured at 50 %:
        // 766,667 at 75 % (below the flat cascade's 1,000,000), 1,100,000 at 50 % (above it).
        var dear = Calibration(GraphPath.Graph, 600_000, Live, new FilteredTrial(0.5, 64, 0.997, 1_100_000, Live));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(750_000, Live, dear));
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(Live / 2, Live, dear));
        // The flat cascade's cost is the one measured under the filter: where it took 1.5× as long at 50 % as unfiltered,
        // the same traversal is the cheaper path there (and at 60 %: 1,000,000 against 1,333,333 interpolated).
        var slowFlat = Calibration(GraphPath.Graph, 600_000, Live, new FilteredTrial(0.5, 64, 0.997, 1_100_000, 1.5 * Live));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(Live / 2, Live, slowFlat, out ef));
        Assert.Equal(64, ef);
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(600_000, Live, slowFlat));
        // A broad filter may hold the floor at a narrower beam than no filter (its beam of allowed nodes spans more of the
        // graph): at the measured 50 % the trial's ef 32; at 70 % 41.1 (from the unfiltered 48 towards it), at 40 % 37.3
        // (from it towards the 20 % trial's 64).
        var narrow = Calibration(GraphPath.Graph, 20_000, Live, new FilteredTrial(0.5, 32, 0.997, 30_000, Live), new FilteredTrial(0.2, 64, 0.996, 90_000, Live));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(Live / 2, Live, narrow, out ef));
        Assert.Equal(32, ef);
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(700_000, Live, narrow, out ef));
        Assert.Equal(42, ef);
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(400_000, Live, narrow, out ef));
        Assert.Equal(38, ef);
        // A trial holds the floor whatever it costs; the cost decides per query: at 20 % the traversal (90,000) is
        // dearer than the flat cascade there (80,000), at 45 % (interpolated, 34,444 against 931,852) cheaper.
        var dearNarrow = Calibration(GraphPath.Graph, 20_000, Live, new FilteredTrial(0.5, 32, 0.997, 30_000, Live), new FilteredTrial(0.2, 64, 0.996, 90_000, 80_000));
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(200_000, Live, dearNarrow));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(450_000, Live, dearNarrow));
        // Without trials no filtered traversal is trusted.
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(Live / 2, Live, Calibration(GraphPath.Graph, 20_000, Live)));
        // A graph that holds the floor but costs more than the unfiltered scan (flat answers unfiltered) traverses where
        // its trial found the filtered flat cascade dearer still: at 50 %, 1,500,000 against 2,500,000; at 90 %,
        // interpolated, 1,233,333 against 1,166,667.
        var flatUnfiltered = Calibration(GraphPath.Flat, 1_200_000, Live, new FilteredTrial(0.5, 64, 0.997, 1_500_000, 2_500_000));
        Assert.Equal(GraphSearchPlan.Graph, GraphPlanner.Choose(Live / 2, Live, flatUnfiltered, out ef));
        Assert.Equal(64, ef);
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(900_000, Live, flatUnfiltered));
        Assert.Equal(GraphSearchPlan.Flat, GraphPlanner.Choose(Live, Live, flatUnfiltered));
    }
}
