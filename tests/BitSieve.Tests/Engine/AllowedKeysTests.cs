using BitSieve.Search;

namespace BitSieve.Tests.Engine;

/// <summary>Searches restricted to an allowed set of ids (what a payload filter produces) against brute force over that set.</summary>
public sealed class AllowedKeysTests
{
    [Theory]
    [InlineData(Metric.Cosine, 4)]
    [InlineData(Metric.Dot, 8)]
    [InlineData(Metric.Euclidean, 4)]
    public void Filtered_search_equals_exact_search_over_the_allowed_points(Metric metric, int bits)
    {
        const int dim = 48, points = 3000;
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = metric, Bits = bits });
        var vectors = TestData.Shifted(points, dim, seed: 11, shift: 0.6f);
        index.UpsertBatch(TestData.Ids(points), vectors);
        for (ulong id = 0; id < points; id += 7) index.Delete(id);
        var queries = TestData.Shifted(8, dim, seed: 12, shift: 0.6f);
        var random = new Random(5);
        // From a handful of points (scored directly) to most of them (through the cascade).
        foreach (double selectivity in new[] { 0.001, 0.01, 0.03, 0.1, 0.5, 1.0 })
        {
            var allowed = Enumerable.Range(0, points).Where(_ => random.NextDouble() < selectivity).Select(i => (ulong)i).ToHashSet();
            allowed.Add(points + 5); // an id that does not exist is ignored
            for (int i = 0; i < 8; i++)
            {
                var q = queries.AsSpan(i * dim, dim);
                foreach (int k in new[] { 1, 10 })
                {
                    var expected = BruteForce(index, q, k, allowed, metric);
                    var found = index.Search(q, new SearchOptions { K = k, Quality = Quality.Exact }, allowed);
                    Assert.All(found.Hits, h => Assert.True(allowed.Contains(h.Id) && h.Id % 7 != 0, $"id {h.Id} is not allowed"));
                    Assert.Equal(expected.Length, found.Hits.Count);
                    Assert.Equal(expected, found.Hits.Select(h => h.Score).ToArray(), new ScoreComparer());

                    var approximate = index.Search(q, new SearchOptions { K = k }, allowed);
                    Assert.All(approximate.Hits, h => Assert.True(allowed.Contains(h.Id) && h.Id % 7 != 0, $"id {h.Id} is not allowed"));
                }
            }
        }
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void The_filtered_cascade_searches_as_if_every_other_point_were_deleted(double selectivity)
    {
        // The same points in two indexes (not a multiple of 64: the last FastScan block is partial), some deleted in
        // both; one is searched through a filter, the other with every point the filter rejects deleted as well. The
        // pass sees the same reachable lanes in the same order: same hits, scores and counts at every tier.
        const int dim = 48, points = 3000;
        using var filtered = VectorIndex.Create(new CollectionOptions { Dimension = dim });
        using var deleted = VectorIndex.Create(new CollectionOptions { Dimension = dim });
        var vectors = TestData.Shifted(points, dim, seed: 21, shift: 0.6f);
        filtered.UpsertBatch(TestData.Ids(points), vectors);
        deleted.UpsertBatch(TestData.Ids(points), vectors);
        var random = new Random(22);
        var allowed = Enumerable.Range(0, points).Where(_ => random.NextDouble() < selectivity).Select(i => (ulong)i).ToHashSet();
        for (ulong id = 0; id < points; id++)
        {
            if (id % 11 == 0) filtered.Delete(id);
            if (id % 11 == 0 || !allowed.Contains(id)) deleted.Delete(id);
        }
        var filter = new AllowedSet(allowed, rejected: false);
        var queries = TestData.Shifted(20, dim, seed: 23, shift: 0.6f);
        for (int i = 0; i < 20; i++)
        {
            var q = queries.AsSpan(i * dim, dim);
            var expected = deleted.Search(q, new SearchOptions { K = 10 });
            var found = filtered.Search(q, new SearchOptions { K = 10 }, filter);
            Assert.Equal(expected.Hits, found.Hits);
            Assert.True(expected.Trace.T1Seen == found.Trace.T1Seen && expected.Trace.T1Kept == found.Trace.T1Kept
                && expected.Trace.T2Seen == found.Trace.T2Seen && expected.Trace.T3Seen == found.Trace.T3Seen,
                $"query {i}: T1 {found.Trace.T1Seen}/{found.Trace.T1Kept}, T2 {found.Trace.T2Seen}, T3 {found.Trace.T3Seen} filtered; " +
                $"T1 {expected.Trace.T1Seen}/{expected.Trace.T1Kept}, T2 {expected.Trace.T2Seen}, T3 {expected.Trace.T3Seen} deleted");
            Assert.Equal(deleted.Count, found.Trace.T1Seen);
        }
    }

    [Fact]
    public void An_allowed_set_makes_its_bitmap_once_per_state_and_follows_writes()
    {
        const int dim = 16;
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = dim });
        index.UpsertBatch(TestData.Ids(300), TestData.Gaussian(300, dim, seed: 3));
        var filter = new AllowedSet([.. Enumerable.Range(0, 300).Where(i => i % 3 == 0).Select(i => (ulong)i), 999], rejected: false);
        var query = index.GetVector(30);

        var first = index.Resolved(filter);
        Assert.Equal(100, first.Allowed);
        Assert.Same(first, index.Resolved(filter));
        Assert.Equal(30UL, index.Search(query, new SearchOptions { K = 1 }, filter).Hits[0].Id);

        // A delete and a new point under an allowed key: the kept bitmap is made again, not read stale.
        index.Delete(30);
        Assert.NotEqual(30UL, index.Search(query, new SearchOptions { K = 1 }, filter).Hits[0].Id);
        Assert.Equal(99, index.Resolved(filter).Allowed);
        index.Upsert(999, query);
        Assert.Equal(999UL, index.Search(query, new SearchOptions { K = 1 }, filter).Hits[0].Id);
        Assert.Equal(100, index.Resolved(filter).Allowed);
        Assert.NotSame(first, index.Resolved(filter));
    }

    [Fact]
    public void A_set_that_allows_every_live_point_is_no_filter()
    {
        const int dim = 16;
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = dim });
        index.UpsertBatch(TestData.Ids(300), TestData.Gaussian(300, dim, seed: 4));
        index.Delete(7);
        // Every live key (and a deleted one), or no rejected key: no bitmap, the unfiltered search.
        Assert.Null(index.Resolved(new AllowedSet(TestData.Ids(300), rejected: false)).Bits);
        Assert.Null(index.Resolved(new AllowedSet([7], rejected: true)).Bits);
        Assert.Null(index.Resolved(new AllowedSet([], rejected: true)).Bits);
        Assert.NotNull(index.Resolved(new AllowedSet([1], rejected: true)).Bits);
        var query = TestData.Gaussian(1, dim, seed: 5);
        Assert.Equal(index.Search(query).Hits, index.Search(query, null, new AllowedSet([], rejected: true)).Hits);
    }

    [Fact]
    public void An_empty_allowed_set_finds_nothing()
    {
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = 8 });
        index.UpsertBatch(TestData.Ids(100), TestData.Gaussian(100, 8, seed: 1));
        var found = index.Search(TestData.Gaussian(1, 8, seed: 2), new SearchOptions { K = 5 }, []);
        Assert.Empty(found.Hits);
    }

    private static float[] BruteForce(VectorIndex index, ReadOnlySpan<float> q, int k, HashSet<ulong> allowed, Metric metric)
    {
        var query = q.ToArray();
        if (metric == Metric.Cosine) TestData.Normalize(query);
        var scores = allowed.Where(index.Contains).Select(id =>
        {
            var x = index.GetVector(id);
            return metric == Metric.Euclidean
                ? (float)-Math.Sqrt(x.Zip(query, (a, b) => (double)(a - b) * (a - b)).Sum())
                : (float)TestData.Dot(x, query);
        });
        // Returned scores are distances for Euclidean (lower is closer).
        var best = scores.OrderDescending().Take(k);
        return metric == Metric.Euclidean ? best.Select(s => -s).ToArray() : best.ToArray();
    }

    private sealed class ScoreComparer : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= 1e-4f * Math.Max(1, Math.Abs(a));
        public int GetHashCode(float value) => 0;
    }
}
