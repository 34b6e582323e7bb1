using System.Text.Json.Nodes;
using BitSieve.Search;

namespace BitSieve.Tests.Engine;

/// <summary><see cref="SearchOptions.Exhaustive"/>: the float32 brute-force baseline through every search entry point.</summary>
public sealed class ExhaustiveSearchTests
{
    private const int Dim = 48;
    private const int Points = 1200;

    [Theory]
    [InlineData(Metric.Cosine)]
    [InlineData(Metric.Euclidean)]
    public void Exhaustive_search_equals_search_exact_single_batched_and_filtered(Metric metric)
    {
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = metric });
        index.UpsertBatch(TestData.Ids(Points), TestData.Shifted(Points, Dim, seed: 11, shift: 0.6f));
        index.Delete(7); // tombstones are skipped
        var queries = TestData.Shifted(8, Dim, seed: 12, shift: 0.6f);
        var options = new SearchOptions { K = 10, Exhaustive = true };

        var batch = index.SearchBatch(queries, options);
        var allowed = Enumerable.Range(0, Points).Where(i => i % 3 == 0).Select(i => (ulong)i).ToHashSet();
        for (int i = 0; i < 8; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim);
            var truth = index.SearchExact(q, 10);
            var found = index.Search(q, options);
            Assert.Equal(truth.Hits.Select(h => (h.Id, h.Score)), found.Hits.Select(h => (h.Id, h.Score)));
            Assert.Equal(truth.Hits.Select(h => (h.Id, h.Score)), batch[i].Hits.Select(h => (h.Id, h.Score)));
            Assert.Equal(Points - 1, found.Trace.T3Seen);
            Assert.DoesNotContain(found.Hits, h => h.Id == 7);

            // A third of the points allowed: the cascade would scan, the exhaustive search scores exactly those.
            var filtered = index.Search(q, options, allowed);
            Assert.Equal(allowed.Count, filtered.Trace.T3Seen);
            var query = q.ToArray();
            var expected = allowed.Select(id => (Id: id, Score: Score(index, query, id, metric)))
                .OrderByDescending(p => p.Score).ThenBy(p => p.Id).Take(10).Select(p => p.Id);
            Assert.Equal(expected, filtered.Hits.Select(h => h.Id));
        }
    }

    [Fact]
    public void Exhaustive_search_takes_no_oversampling()
    {
        using var index = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        index.UpsertBatch(TestData.Ids(10), TestData.Gaussian(10, Dim, seed: 1));
        var e = Assert.Throws<ArgumentException>(() => index.Search(TestData.Gaussian(1, Dim, seed: 2), new SearchOptions { Exhaustive = true, Oversampling = 4 }));
        Assert.Contains("Oversampling", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collection_search_and_hybrid_search_use_the_exhaustive_vector_ranking()
    {
        string dir = Path.Combine(Path.GetTempPath(), "bitsieve-exhaustive-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var db = Database.Open(dir);
            var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
            var vectors = TestData.Shifted(Points, Dim, seed: 21, shift: 0.6f);
            c.Upsert(Enumerable.Range(0, Points)
                .Select(i => new Point((ulong)i, vectors.AsMemory(i * Dim, Dim), new JsonObject { ["text"] = i == 5 ? "zebra crossing" : $"row {i}" })).ToList());
            c.CreatePayloadIndex("text", "text");
            var q = TestData.Shifted(1, Dim, seed: 22, shift: 0.6f);
            TestData.Normalize(q);
            var brute = Enumerable.Range(0, Points)
                .Select(i => (Id: (ulong)i, Score: Cosine(vectors.AsSpan(i * Dim, Dim), q)))
                .OrderByDescending(p => p.Score).ThenBy(p => p.Id).Select(p => p.Id).ToList();

            var found = c.Search(q, new SearchOptions { K = 10, Exhaustive = true });
            Assert.Equal(brute.Take(10), found.Hits.Select(h => h.Id.Number));
            Assert.Equal(Points, found.Trace.T3Seen);

            // Hybrid: the vector side ranks 50 candidates exhaustively; "zebra" ranks point 5 first lexically.
            var hybrid = c.SearchHybrid(q, "zebra", FusionRule.ReciprocalRank, new SearchOptions { K = 10, Exhaustive = true });
            Assert.Equal(Points, hybrid.Trace.T3Seen);
            var expected = new Dictionary<ulong, double>();
            for (int r = 0; r < 50; r++) expected[brute[r]] = 1.0 / (Collection.RrfK + r + 1);
            expected[5] = expected.GetValueOrDefault(5UL) + 1.0 / (Collection.RrfK + 1);
            Assert.Equal(expected.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(10).Select(p => p.Key), hybrid.Hits.Select(h => h.Id.Number));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static double Score(VectorIndex index, ReadOnlySpan<float> query, ulong id, Metric metric)
    {
        var v = index.GetVector(id);
        if (metric == Metric.Euclidean)
        {
            double d = 0;
            for (int j = 0; j < Dim; j++) d += (v[j] - (double)query[j]) * (v[j] - (double)query[j]);
            return -d;
        }
        return Cosine(v, query);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        TestData.Dot(a, b) / Math.Sqrt(TestData.Dot(a, a) * TestData.Dot(b, b));
}
