using BitSieve.Search.Graph;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// The calibration that maps a quality target to a graph effort: on the real fixture (docs-minilm-2k) the effort it
/// finds on the collection's own points holds the floor on the fixture's separate query set; on many noisy near-copies
/// of a few real vectors (the <c>bench --scale-to</c> formula) the graph cannot hold the floor and the flat cascade is chosen.
/// </summary>
public sealed class GraphCalibrationTests
{
    private const int Dim = MiniLmFixture.Dimension, K = 10;

    private static readonly GraphCalibrationOptions Free = new() { VisitCost = 1e-6 };

    private static VectorIndex Index(float[] rows)
    {
        var index = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        var ids = Enumerable.Range(0, rows.Length / Dim).Select(r => (ulong)r).ToArray();
        index.UpsertBatch(ids, rows);
        return index;
    }

    [Fact]
    public void The_calibrated_effort_reaches_the_floor_on_the_fixtures_separate_queries()
    {
        using var index = Index(MiniLmFixture.Base);
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        // At 2,000 points scanning every code is cheaper than any traversal: the flat cascade answers.
        var costed = index.CalibrateGraph(graph, Quality.Default);
        Assert.Equal(GraphPath.Flat, costed.Path);
        Assert.True(costed.GraphCost >= costed.FlatCost, costed.ToString());
        // With visits made (almost) free, the calibration looks for the effort alone.
        var calibration = index.CalibrateGraph(graph, Quality.Default, Free);

        Assert.Equal(GraphPath.Graph, calibration.Path);
        Assert.Equal(0.995, calibration.Floor);
        Assert.True(calibration.Ef > 0, $"no beam width met the floor: {calibration}");
        double found = 0;
        for (int q = 0; q < MiniLmFixture.QueryRows; q++)
        {
            var result = index.SearchGraph(graph, MiniLmFixture.Queries.AsSpan(q * Dim, Dim), K, calibration.Ef, Quality.Default);
            var truth = MiniLmFixture.Truth.AsSpan(q * MiniLmFixture.TruthWidth, K).ToArray();
            found += result.Result.Hits.Count(h => truth.Contains((int)h.Id));
        }
        double recall = found / (K * MiniLmFixture.QueryRows);
        Assert.True(recall >= calibration.Floor, $"recall@10 {recall:F4} at the calibrated ef {calibration.Ef}: {calibration}");
    }

    [Fact]
    public void On_many_noisy_near_copies_the_graph_cannot_hold_the_floor_and_the_flat_cascade_answers()
    {
        // 100 real vectors and 99 noisy copies of each: x' = normalize(x + 0.5·g/√d), g ~ N(0, I), as bench --scale-to grows a base.
        const int Originals = 100, Copies = 99;
        var rows = new float[Originals * (Copies + 1) * Dim];
        MiniLmFixture.Base.AsSpan(0, Originals * Dim).CopyTo(rows);
        var random = new Random(42);
        double scale = 0.5 / Math.Sqrt(Dim);
        for (int r = Originals; r < Originals * (Copies + 1); r++)
        {
            var x = MiniLmFixture.Base.AsSpan(r % Originals * Dim, Dim);
            var y = rows.AsSpan(r * Dim, Dim);
            for (int j = 0; j < Dim; j++)
                y[j] = (float)(x[j] + scale * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            float norm = MathF.Sqrt(y.ToArray().Sum(v => v * v));
            for (int j = 0; j < Dim; j++) y[j] /= norm;
        }
        using var index = Index(rows);
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        // Visits made (almost) free: the flat path is chosen for recall, not for cost, even at the widest beam.
        var calibration = index.CalibrateGraph(graph, Quality.Default, Free);

        Assert.Equal(GraphPath.Flat, calibration.Path);
        Assert.Equal(0, calibration.Ef);
        Assert.True(calibration.Recall < calibration.Floor, calibration.ToString());
    }

    [Fact]
    public void A_width_the_first_points_cannot_decide_is_decided_on_the_whole_sample_filtered_or_not()
    {
        using var index = Index(MiniLmFixture.Base);
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        var firstOnly = Free with { Queries = 100, MaxQueries = 100 };
        var twoStage = Free with { Queries = 100, MaxQueries = 1000 };
        bool narrower = false;
        foreach (var quality in new[] { Quality.Recall(0.98), Quality.Recall(0.99), Quality.Default })
        {
            var one = index.CalibrateGraph(graph, quality, firstOnly);
            var two = index.CalibrateGraph(graph, quality, twoStage);
            // The same first points and allowed sets: a width that held on them holds again, and one they could not
            // decide may hold on the whole sample, so no width the two-stage calibration picks is wider.
            Assert.True(two.Ef <= one.Ef || one.Ef == 0, $"{quality}: {one} against {two}");
            Assert.True(two.Filtered.Count >= one.Filtered.Count, $"{quality}: {one.Filtered.Count} against {two.Filtered.Count} fractions");
            for (int f = 0; f < one.Filtered.Count; f++)
                if (one.Filtered[f].Holds)
                    Assert.True(two.Filtered[f].Holds && two.Filtered[f].Ef <= one.Filtered[f].Ef, $"{quality}, fraction {one.Filtered[f].Fraction}: {one.Filtered[f]} against {two.Filtered[f]}");
            narrower |= two.Filtered.Where((t, f) => f < one.Filtered.Count && t.Holds && (!one.Filtered[f].Holds || t.Ef < one.Filtered[f].Ef)).Any();
            if (two.Ef < one.Ef) Assert.Equal(1000, two.Queries);
        }
        Assert.True(narrower, "no filtered width the first points could not decide held on the whole sample");
    }

    [Fact]
    public void Exact_quality_takes_the_flat_path()
    {
        using var index = Index(MiniLmFixture.Base);
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        var calibration = index.CalibrateGraph(graph, Quality.Exact);
        Assert.Equal(GraphPath.Flat, calibration.Path);
        Assert.Equal(1.0, calibration.Floor);
    }
}
