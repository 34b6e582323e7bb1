using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// The proximity graph on the real fixture (docs-minilm-2k, 2,000 × 384 MiniLM vectors, exact top 100 per query):
/// recall@10 of the ladder traversal against the exact ground truth, its growth with the beam width, the graph's
/// invariants, and a deterministic single-thread build.
/// </summary>
public sealed class GraphIndexTests
{
    private const int Dim = MiniLmFixture.Dimension, K = 10;

    private static VectorIndex Fixture()
    {
        var index = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        var ids = Enumerable.Range(0, MiniLmFixture.BaseRows).Select(r => (ulong)r).ToArray();
        index.UpsertBatch(ids, MiniLmFixture.Base);
        return index;
    }

    private static double Recall(VectorIndex index, GraphIndex graph, int ef, out GraphTrace total)
    {
        double sum = 0;
        long hops = 0, visited = 0, estimates = 0, t1 = 0, t2 = 0, t3 = 0;
        for (int q = 0; q < MiniLmFixture.QueryRows; q++)
        {
            var found = index.SearchGraph(graph, MiniLmFixture.Queries.AsSpan(q * Dim, Dim), K, ef, Quality.Default);
            var truth = MiniLmFixture.Truth.AsSpan(q * MiniLmFixture.TruthWidth, K).ToArray();
            sum += found.Result.Hits.Count(h => truth.Contains((int)h.Id)) / (double)K;
            var g = found.Graph;
            hops += g.Hops; visited += g.Visited; estimates += g.Estimates; t1 += g.T1; t2 += g.T2; t3 += g.T3;
        }
        total = new GraphTrace((int)hops, (int)visited, (int)estimates, t1, t2, t3);
        return sum / MiniLmFixture.QueryRows;
    }

    [Fact]
    public void Recall_at_a_moderate_beam_reaches_095_and_grows_with_the_beam()
    {
        using var index = Fixture();
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        double low = Recall(index, graph, 10, out var lowTrace);
        double moderate = Recall(index, graph, 48, out var trace);
        double high = Recall(index, graph, 128, out _);

        Assert.True(moderate >= 0.95, $"recall@10 at ef 48 is {moderate:F4}");
        Assert.True(low < moderate && moderate <= high, $"recall@10 by ef 10/48/128: {low:F4} {moderate:F4} {high:F4}");
        // The traversal steers on T1: it estimates far fewer points than the collection holds, and reads few originals.
        Assert.True(trace.Estimates < MiniLmFixture.QueryRows * MiniLmFixture.BaseRows / 2, $"{trace.Estimates} estimates");
        Assert.True(trace.T3 < trace.Estimates / 4, $"{trace.T3} originals read for {trace.Estimates} estimates");
        Assert.True(lowTrace.Hops < trace.Hops, $"hops at ef 10: {lowTrace.Hops}, at ef 48: {trace.Hops}");
    }

    [Fact]
    public void Steering_reads_T2_only_for_the_nodes_it_expands_a_small_part_of_those_it_estimates()
    {
        using var index = Fixture();
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        double recall = Recall(index, graph, 64, out var trace);
        // Refining every neighbour whose T1 interval straddles the beam's boundary read T2 for about 40 % of the
        // estimates; refining a node only when it is about to be expanded reads it for a few per hop plus the settling.
        Assert.True(trace.T2 < trace.Estimates / 4, $"{trace.T2} T2 reads for {trace.Estimates} estimates ({trace.Hops} hops)");
        Assert.True(recall >= 0.97, $"recall@10 at ef 64 is {recall:F4}");
    }

    [Fact]
    public void Every_node_has_at_most_R_distinct_neighbours_no_self_loop_and_is_reachable_from_the_entry()
    {
        using var index = Fixture();
        const int R = 16;
        var graph = index.BuildGraph(new GraphBuildOptions { MaxDegree = R, Threads = 2 });
        Assert.Equal(MiniLmFixture.BaseRows, graph.Count);
        var seen = new bool[graph.Count];
        var queue = new Queue<int>();
        queue.Enqueue(graph.Entry);
        seen[graph.Entry] = true;
        int reached = 1;
        for (int node = 0; node < graph.Count; node++)
        {
            var neighbours = graph.Neighbors(node);
            Assert.True(neighbours.Length <= R, $"node {node} has {neighbours.Length} neighbours");
            Assert.DoesNotContain(node, neighbours);
            Assert.Equal(neighbours.Length, neighbours.Distinct().Count());
            Assert.All(neighbours, n => Assert.InRange(n, 0, graph.Count - 1));
        }
        while (queue.TryDequeue(out int node))
            foreach (int next in graph.Neighbors(node))
                if (!seen[next])
                {
                    seen[next] = true;
                    reached++;
                    queue.Enqueue(next);
                }
        Assert.Equal(graph.Count, reached);
    }

    [Fact]
    public void A_single_thread_build_depends_only_on_the_seed()
    {
        using var index = Fixture();
        var a = index.BuildGraph(new GraphBuildOptions { Threads = 1, Seed = 7 });
        var b = index.BuildGraph(new GraphBuildOptions { Threads = 1, Seed = 7 });
        var c = index.BuildGraph(new GraphBuildOptions { Threads = 1, Seed = 8 });
        Assert.Equal(a.Entry, b.Entry);
        bool differs = false;
        for (int node = 0; node < a.Count; node++)
        {
            Assert.Equal(a.Neighbors(node), b.Neighbors(node));
            differs |= !a.Neighbors(node).SequenceEqual(c.Neighbors(node));
        }
        Assert.True(differs, "another seed built the same graph");
    }

    [Fact]
    public void Exact_quality_returns_the_exact_top_k_even_from_a_narrow_beam()
    {
        using var index = Fixture();
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        for (int q = 0; q < 40; q++)
        {
            var query = MiniLmFixture.Queries.AsSpan(q * Dim, Dim);
            var expected = index.SearchExact(query, K).Hits.Select(h => h.Id);
            var found = index.SearchGraph(graph, query, K, K, Quality.Exact);
            Assert.Equal(expected, found.Result.Hits.Select(h => h.Id));
        }
    }

    [Fact]
    public void The_settling_takes_an_interval_already_refined_at_T2_as_it_is_and_does_not_score_it_again()
    {
        using var index = Fixture();
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        var query = MiniLmFixture.Queries.AsSpan(0, Dim).ToArray();
        float norm = MathF.Sqrt(query.Sum(x => x * x));
        for (int i = 0; i < Dim; i++) query[i] /= norm;
        var encoded = graph.Quantizer.Prepare(query);
        Cascade Make() => new(graph.Columns, graph.Quantizer, encoded, K, Quality.Default);
        // The same points twice: with an interval so wide that T2 alone decides, and as a steering search hands them
        // over, their T2 interval already taken (marked refined).
        var wide = new T1State(K);
        var refined = new T1State(K);
        var scorer = Make();
        for (int ord = 0; ord < graph.Count; ord++)
        {
            wide.Candidates.Add(new Candidate(ord, -1e9f, 1e9f));
            var (lo, hi) = scorer.Interval2(ord);
            refined.Candidates.Add(new Candidate(ord, lo, hi, Refined: true));
            if (lo > refined.Lower.Threshold) refined.Lower.Add(lo, ord);
        }

        var rescored = Make().Finish([wide]);
        var passed = Make().Finish([refined]);

        Assert.Equal(graph.Count, rescored.Trace.T2Seen);
        Assert.Equal(0, passed.Trace.T2Seen);
        Assert.Equal(rescored.Hits.Select(h => (h.Id, h.Score)), passed.Hits.Select(h => (h.Id, h.Score)));
        Assert.Equal(K, passed.Hits.Count);
    }

    [Fact]
    public void A_node_searched_as_absent_is_neither_returned_nor_expanded_as_calibration_needs_for_a_stored_point()
    {
        using var index = Fixture();
        var graph = index.BuildGraph(new GraphBuildOptions { Threads = 2 });
        for (int self = 1; self < 200; self += 7)
        {
            var encoded = graph.Quantizer.Prepare(graph.Columns.Originals.Row(self));
            Cascade Make() => new(graph.Columns, graph.Quantizer, encoded, K, Quality.Default);
            var present = graph.Search(Make(), encoded, K, 32);
            var absent = graph.Search(Make(), encoded, K, 32, absent: self);
            // Its own vector: the point is its own nearest neighbour, found when present and never when absent.
            Assert.Equal(self, present.Result.Hits[0].Ordinal);
            Assert.DoesNotContain(absent.Result.Hits, h => h.Ordinal == self);
            Assert.Equal(K, absent.Result.Hits.Count);
        }
    }

    [Fact]
    public void A_graph_built_before_a_write_is_refused()
    {
        using var index = Fixture();
        var graph = index.BuildGraph(new GraphBuildOptions());
        index.Delete(0);
        var e = Assert.Throws<InvalidOperationException>(() => index.SearchGraph(graph, MiniLmFixture.Queries.AsSpan(0, Dim), K, 32, Quality.Default));
        Assert.Contains("rebuild", e.Message, StringComparison.Ordinal);
    }
}
