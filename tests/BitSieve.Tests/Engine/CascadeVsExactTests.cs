using Xunit.Abstractions;

namespace BitSieve.Tests.Engine;

/// <summary>The dynamic cascade against exact float32 brute force (<see cref="VectorIndex.SearchExact"/>) on seeded random data.</summary>
public sealed class CascadeVsExactTests(ITestOutputHelper output)
{
    private const int Points = 1500;

    public static TheoryData<Metric, int, int> Cases()
    {
        var data = new TheoryData<Metric, int, int>();
        foreach (var metric in new[] { Metric.Cosine, Metric.Dot, Metric.Euclidean })
            foreach (int bits in new[] { 4, 8 })
                foreach (int dim in new[] { 2, 3, 17, 384, 1536 })
                    data.Add(metric, bits, dim);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exact_quality_equals_exact_search_and_default_quality_keeps_recall(Metric metric, int bits, int dim)
    {
        // Just past the default training size, so the codes are centred on a trained centroid; fewer queries in high dimension.
        int points = dim > 1000 ? 1100 : Points, queryCount = dim > 1000 ? 6 : dim > 100 ? 12 : 20;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = metric, Bits = bits });
        collection.UpsertBatch(TestData.Ids(points, 1000), TestData.Shifted(points, dim, seed: dim * 31 + bits, shift: 0.7f));
        Assert.True(collection.IsTrained);
        var queries = TestData.Shifted(queryCount, dim, seed: dim * 37 + bits + 1, shift: 0.7f);

        double recallSum = 0;
        int searches = 0;
        foreach (int k in new[] { 1, 10, 100 })
        {
            for (int i = 0; i < queryCount; i++)
            {
                var q = queries.AsSpan(i * dim, dim);
                var truth = collection.SearchExact(q, k);
                Assert.Equal(k, truth.Hits.Count);

                var exact = collection.Search(q, new SearchOptions { K = k, Quality = Quality.Exact });
                AssertSameUpToTies(truth, exact, $"{metric} B={bits} d={dim} k={k} query {i}");

                var approximate = collection.Search(q, new SearchOptions { K = k });
                Assert.Equal(k, approximate.Hits.Count);
                AssertExactScoresBestFirst(collection, q, approximate, metric);
                recallSum += TestData.Recall(approximate, truth);
                searches++;
            }
        }
        double recall = recallSum / searches;
        output.WriteLine($"{metric} B={bits} d={dim}: default recall {recall:F4}");
        Assert.True(recall >= 0.99, $"{metric} B={bits} d={dim}: default-quality recall {recall:F4} < 0.99");
    }

    [Theory]
    [InlineData(Metric.Cosine, 4)]
    [InlineData(Metric.Dot, 8)]
    [InlineData(Metric.Euclidean, 4)]
    public void Fixed_oversampling_returns_k_hits_with_exact_scores(Metric metric, int bits)
    {
        const int dim = 64;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = metric, Bits = bits });
        collection.UpsertBatch(TestData.Ids(Points), TestData.Shifted(Points, dim, seed: 3, shift: 0.5f));
        var queries = TestData.Shifted(10, dim, seed: 4, shift: 0.5f);
        double[] recall = new double[5];
        for (int i = 0; i < 10; i++)
        {
            var q = queries.AsSpan(i * dim, dim);
            foreach (int m in new[] { 1, 4 })
            {
                var result = collection.Search(q, new SearchOptions { K = 10, Oversampling = m });
                Assert.Equal(10, result.Hits.Count);
                Assert.Equal(10 * m, result.Trace.T3Seen);
                AssertExactScoresBestFirst(collection, q, result, metric);
                recall[m] += TestData.Recall(result, collection.SearchExact(q, 10)) / 10;
            }
            // Oversampling by the whole collection rescans everything: exact.
            var all = collection.Search(q, new SearchOptions { K = 10, Oversampling = Points });
            AssertSameUpToTies(collection.SearchExact(q, 10), all, $"{metric} oversampling {Points}");
        }
        // A larger pool can only help on average: the ×4 pool contains the ×1 pool.
        output.WriteLine($"{metric} B={bits}: fixed oversampling recall ×1 {recall[1]:F3}, ×4 {recall[4]:F3}");
        Assert.True(recall[4] >= recall[1] && recall[4] > 0, $"{metric}: recall ×4 {recall[4]:F3} < ×1 {recall[1]:F3}");
    }

    /// <summary>Same ids in the same order, or, where ids differ, the same scores (ties broken differently).</summary>
    internal static void AssertSameUpToTies(SearchResult expected, SearchResult actual, string what)
    {
        Assert.True(expected.Hits.Count == actual.Hits.Count, $"{what}: {actual.Hits.Count} hits, expected {expected.Hits.Count}");
        if (expected.Hits.Select(h => h.Id).SequenceEqual(actual.Hits.Select(h => h.Id))) return;
        var e = expected.Hits.Select(h => h.Score).Order().ToArray();
        var a = actual.Hits.Select(h => h.Score).Order().ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5 * Math.Max(1, Math.Abs(e[i])),
                $"{what}: ids differ and so do scores: expected [{string.Join(", ", expected.Hits.Select(h => $"{h.Id}:{h.Score}"))}], " +
                $"got [{string.Join(", ", actual.Hits.Select(h => $"{h.Id}:{h.Score}"))}]");
    }

    /// <summary>Every hit carries its exact score (cosine/dot: similarity; Euclidean: distance), best first.</summary>
    internal static void AssertExactScoresBestFirst(VectorIndex collection, ReadOnlySpan<float> query, SearchResult result, Metric metric)
    {
        var q = query.ToArray();
        if (metric == Metric.Cosine) TestData.Normalize(q);
        for (int i = 0; i < result.Hits.Count; i++)
        {
            var hit = result.Hits[i];
            var x = collection.GetVector(hit.Id);
            double score = metric == Metric.Euclidean
                ? Math.Sqrt(x.Zip(q, (a, b) => ((double)a - b) * ((double)a - b)).Sum())
                : TestData.Dot(x, q);
            Assert.True(Math.Abs(score - hit.Score) <= 1e-4 * Math.Max(1, Math.Abs(score)), $"hit {hit.Id}: score {hit.Score}, exact {score}");
            if (i > 0)
            {
                var previous = result.Hits[i - 1].Score;
                Assert.True(metric == Metric.Euclidean ? previous <= hit.Score : previous >= hit.Score, $"hits not best first at {i}");
            }
        }
    }
}
