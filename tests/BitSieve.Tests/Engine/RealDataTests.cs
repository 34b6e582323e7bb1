using Xunit.Abstractions;

namespace BitSieve.Tests.Engine;

/// <summary>The cascade on real MiniLM embeddings (the fixture's 2,000 base vectors and 200 queries).</summary>
public sealed class RealDataTests(ITestOutputHelper output)
{
    private const int Dim = 384, BaseRows = MiniLmFixture.BaseRows, QueryRows = MiniLmFixture.QueryRows, K = 10;

    private static VectorIndex Load(int bits)
    {
        var data = MiniLmFixture.Base;
        var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = Metric.Cosine, Bits = bits });
        collection.UpsertBatch(TestData.Ids(BaseRows), data);
        return collection;
    }

    [Fact]
    public void Exact_search_agrees_with_the_published_ground_truth()
    {
        // The fixture's gt100 is the exact ranking of its 2,000 rows, computed apart from the engine (see its README).
        var (data, queries, truth) = (MiniLmFixture.Base, MiniLmFixture.Queries, MiniLmFixture.Truth);
        using var collection = Load(4);
        for (int i = 0; i < QueryRows; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim).ToArray();
            var expected = truth.AsSpan(i * MiniLmFixture.TruthWidth, K).ToArray();
            var found = collection.SearchExact(q, K);
            var foundIds = found.Hits.Select(h => (int)h.Id).ToArray();
            if (foundIds.SequenceEqual(expected)) continue;
            // Float32 summation order may swap near-ties: then the scores must agree.
            var expectedScores = expected.Select(o => TestData.Dot(data.AsSpan(o * Dim, Dim), q)).Order().ToArray();
            var foundScores = found.Hits.Select(h => (double)h.Score).Order().ToArray();
            for (int j = 0; j < K; j++)
                Assert.True(Math.Abs(expectedScores[j] - foundScores[j]) <= 1e-5,
                    $"query {i}: exact search [{string.Join(",", foundIds)}] vs ground truth [{string.Join(",", expected)}]");
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Default_quality_reaches_recall_and_exact_quality_matches_exact_search(int bits)
    {
        var queries = MiniLmFixture.Queries;
        using var collection = Load(bits);
        Assert.True(collection.IsTrained);
        double recall = 0;
        long t3 = 0, t2 = 0;
        for (int i = 0; i < QueryRows; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim);
            var truth = collection.SearchExact(q, K);
            var result = collection.Search(q, new SearchOptions { K = K });
            CascadeVsExactTests.AssertExactScoresBestFirst(collection, q, result, Metric.Cosine);
            recall += TestData.Recall(result, truth) / QueryRows;
            t2 += result.Trace.T2Seen;
            t3 += result.Trace.T3Seen;
            CascadeVsExactTests.AssertSameUpToTies(truth, collection.Search(q, new SearchOptions { K = K, Quality = Quality.Exact }), $"query {i}");
        }
        output.WriteLine($"B={bits}: recall@10 {recall:F4}, mean T2 seen {t2 / (double)QueryRows:F1}, mean T3 seen {t3 / (double)QueryRows:F1}");
        Assert.True(recall >= 0.995, $"B={bits}: default-quality recall@10 {recall:F4} < 0.995");
        // The point of the ladder: few originals read. Loose, a count and not a timing.
        Assert.True(t3 / (double)QueryRows <= 200, $"B={bits}: {t3 / (double)QueryRows:F1} originals read per query out of {BaseRows}");
    }
}
