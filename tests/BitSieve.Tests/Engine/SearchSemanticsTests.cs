namespace BitSieve.Tests.Engine;

/// <summary>Batches, threads, deletes, upserts and edge sizes: the answers a caller can rely on.</summary>
public sealed class SearchSemanticsTests
{
    private const int Dim = 48;

    private static VectorIndex Random(int points, Metric metric = Metric.Cosine, int seed = 1, int trainingSize = 1024)
    {
        var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = metric, TrainingSize = trainingSize });
        collection.UpsertBatch(TestData.Ids(points), TestData.Shifted(points, Dim, seed, shift: 0.5f));
        return collection;
    }

    public static TheoryData<string> Modes => ["default", "exact", "oversampling", "recall0.9"];

    private static SearchOptions Options(string mode, int k = 10, int threads = 1) => mode switch
    {
        "default" => new SearchOptions { K = k, Threads = threads },
        "exact" => new SearchOptions { K = k, Threads = threads, Quality = Quality.Exact },
        "oversampling" => new SearchOptions { K = k, Threads = threads, Oversampling = 3 },
        _ => new SearchOptions { K = k, Threads = threads, Quality = Quality.Parse("0.9") },
    };

    private static void AssertIdentical(SearchResult expected, SearchResult actual, string what)
    {
        Assert.True(expected.Hits.SequenceEqual(actual.Hits),
            $"{what}: [{string.Join(", ", expected.Hits)}] vs [{string.Join(", ", actual.Hits)}]");
        Assert.Equal(expected.Trace.T1Seen, actual.Trace.T1Seen);
        Assert.Equal(expected.Trace.T3Seen, actual.Trace.T3Seen);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Batch_search_equals_per_query_search_on_any_thread_count(string mode)
    {
        // 3,000 points span three scan blocks; 37 queries are two full groups of 16 and a remainder.
        using var collection = Random(3000);
        var queries = TestData.Shifted(37, Dim, seed: 9, shift: 0.5f);
        var single = Enumerable.Range(0, 37).Select(i => collection.Search(queries.AsSpan(i * Dim, Dim), Options(mode))).ToArray();
        foreach (int threads in new[] { 1, 2 })
        {
            var batch = collection.SearchBatch(queries, Options(mode, threads: threads));
            Assert.Equal(37, batch.Length);
            for (int i = 0; i < 37; i++) AssertIdentical(single[i], batch[i], $"{mode}, batch threads={threads}, query {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Two_threads_give_the_same_results_as_one(string mode)
    {
        using var collection = Random(5000);
        collection.Delete(17); // tombstones in the first part
        var queries = TestData.Shifted(10, Dim, seed: 10, shift: 0.5f);
        for (int i = 0; i < 10; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim);
            foreach (int k in new[] { 1, 10, 100 })
            {
                var one = collection.Search(q, Options(mode, k));
                foreach (int threads in new[] { 2, 3 })
                    AssertIdentical(one, collection.Search(q, Options(mode, k, threads)), $"{mode} k={k} threads={threads} query {i}");
                Assert.True(collection.SearchExact(q, k).Hits.SequenceEqual(collection.SearchExact(q, k, threads: 2).Hits), $"SearchExact threads=2, query {i}");
            }
        }
    }

    [Fact]
    public void Exact_batch_equals_exact_search()
    {
        using var collection = Random(2000, Metric.Euclidean);
        var queries = TestData.Shifted(20, Dim, seed: 11, shift: 0.5f);
        var batch = collection.SearchExactBatch(queries, 10, threads: 2);
        for (int i = 0; i < 20; i++)
            Assert.True(collection.SearchExact(queries.AsSpan(i * Dim, Dim), 10).Hits.SequenceEqual(batch[i].Hits), $"query {i}");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Deleted_points_are_never_returned(string mode)
    {
        using var collection = Random(2500);
        var queries = TestData.Shifted(8, Dim, seed: 12, shift: 0.5f);
        // Delete the exact top 20 of every query, then some more.
        var deleted = new HashSet<ulong>();
        for (int i = 0; i < 8; i++)
            foreach (var hit in collection.SearchExact(queries.AsSpan(i * Dim, Dim), 20).Hits) deleted.Add(hit.Id);
        for (ulong id = 0; id < 2500; id += 7) deleted.Add(id);
        foreach (var id in deleted) collection.Delete(id);
        Assert.Equal(2500 - deleted.Count, collection.Count);
        Assert.All(deleted, id => Assert.False(collection.Contains(id)));

        var batch = collection.SearchBatch(queries, Options(mode, 50));
        for (int i = 0; i < 8; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim);
            var result = collection.Search(q, Options(mode, 50));
            Assert.Equal(50, result.Hits.Count);
            Assert.DoesNotContain(result.Hits, h => deleted.Contains(h.Id));
            Assert.DoesNotContain(batch[i].Hits, h => deleted.Contains(h.Id));
            Assert.DoesNotContain(collection.SearchExact(q, 50).Hits, h => deleted.Contains(h.Id));
            Assert.Equal(collection.Count, result.Trace.T1Seen);
        }
        // Asking for more than remain returns exactly the live points.
        var everything = collection.Search(queries.AsSpan(0, Dim), Options(mode, 5000));
        Assert.Equal(collection.Count, everything.Hits.Count);
        Assert.Equal(collection.Count, everything.Hits.Select(h => h.Id).Distinct().Count());
        Assert.DoesNotContain(everything.Hits, h => deleted.Contains(h.Id));
    }

    [Fact]
    public void Upsert_of_an_existing_id_replaces_its_vector()
    {
        using var collection = Random(1500);
        var oldVector = collection.GetVector(42);
        var query = TestData.Shifted(1, Dim, seed: 13, shift: 0.5f);
        var replacement = (float[])query.Clone();
        for (int j = 0; j < Dim; j++) replacement[j] *= 3; // same direction, another length: stored normalized
        collection.Upsert(42, replacement);

        Assert.Equal(1500, collection.Count);
        var stored = collection.GetVector(42);
        var expected = (float[])query.Clone();
        TestData.Normalize(expected);
        for (int j = 0; j < Dim; j++) Assert.Equal(expected[j], stored[j], 1e-6f);

        foreach (var mode in new[] { "default", "exact", "oversampling" })
        {
            var result = collection.Search(query, Options(mode));
            Assert.Equal(42UL, result.Hits[0].Id);
            Assert.Equal(1f, result.Hits[0].Score, 1e-5f);
            Assert.Single(result.Hits, h => h.Id == 42);
            // The old vector is gone: searching for it does not find id 42 with the old score.
            var old = collection.Search(oldVector, Options(mode));
            Assert.DoesNotContain(old.Hits, h => h.Id == 42 && h.Score > 0.999f);
        }
    }

    [Fact]
    public void Upserting_the_same_id_twice_in_one_batch_keeps_the_last_row()
    {
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = 3, Metric = Metric.Dot });
        collection.UpsertBatch([7, 8, 7], [1, 0, 0, 0, 1, 0, 0, 0, 2]);
        Assert.Equal(2, collection.Count);
        Assert.Equal([0f, 0, 2], collection.GetVector(7));
        var hits = collection.Search([0, 0, 1], new SearchOptions { K = 5 }).Hits;
        Assert.Equal([7UL, 8UL], hits.Select(h => h.Id));
        Assert.Equal(2f, hits[0].Score);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Empty_collection_returns_no_hits(string mode)
    {
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        var q = TestData.Gaussian(1, Dim, seed: 1);
        Assert.Empty(collection.Search(q, Options(mode)).Hits);
        Assert.Empty(collection.SearchExact(q, 10).Hits);
        Assert.All(collection.SearchBatch(TestData.Gaussian(3, Dim, seed: 2), Options(mode)), r => Assert.Empty(r.Hits));
        Assert.Equal(0, collection.Search(q, Options(mode)).Trace.T1Seen);

        // Emptied by deletes: same answer.
        collection.UpsertBatch([1, 2], TestData.Gaussian(2, Dim, seed: 3));
        collection.Delete(1);
        collection.Delete(2);
        Assert.Empty(collection.Search(q, Options(mode)).Hits);
        Assert.Empty(collection.SearchExact(q, 10).Hits);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void K_larger_than_the_count_returns_every_live_point(string mode)
    {
        // Both below the training size (untrained centroid) and above it.
        foreach (int trainingSize in new[] { 1024, 10 })
        {
            using var collection = Random(50, Metric.Euclidean, seed: 4, trainingSize: trainingSize);
            collection.Delete(3);
            var q = TestData.Gaussian(1, Dim, seed: 5);
            var result = collection.Search(q, Options(mode, 100));
            Assert.Equal(49, result.Hits.Count);
            Assert.Equal(Enumerable.Range(0, 50).Where(i => i != 3).Select(i => (ulong)i), result.Hits.Select(h => h.Id).Order());
            CascadeVsExactTests.AssertExactScoresBestFirst(collection, q, result, Metric.Euclidean);
            Assert.Equal(49, collection.SearchExact(q, 100).Hits.Count);
        }
    }

    [Fact]
    public void Untrained_collection_searches_exactly()
    {
        using var collection = Random(500, Metric.Dot, seed: 6);
        Assert.False(collection.IsTrained);
        var queries = TestData.Shifted(10, Dim, seed: 7, shift: 0.5f);
        for (int i = 0; i < 10; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim);
            CascadeVsExactTests.AssertSameUpToTies(collection.SearchExact(q, 10), collection.Search(q, Options("exact")), $"query {i}");
            Assert.True(TestData.Recall(collection.Search(q, Options("default")), collection.SearchExact(q, 10)) >= 0.9);
        }
    }

    [Fact]
    public void An_uninitialized_quality_does_not_silently_drop_recall()
    {
        // default(Quality) has RecallTarget 0, a value Quality.Recall rejects. Searching with it must either be
        // rejected the same way or keep the promised recall; it must not quietly search with zero-width bounds.
        using var collection = Random(3000);
        var queries = TestData.Shifted(20, Dim, seed: 14, shift: 0.5f);
        var options = new SearchOptions { Quality = default };
        double recall = 0;
        for (int i = 0; i < 20; i++)
        {
            var q = queries.AsSpan(i * Dim, Dim).ToArray();
            SearchResult result;
            try
            {
                result = collection.Search(q, options);
            }
            catch (ArgumentOutOfRangeException)
            {
                return;
            }
            recall += TestData.Recall(result, collection.SearchExact(q, 10)) / 20;
        }
        Assert.True(recall >= 0.99, $"Quality = default(Quality) was accepted and gave recall@10 {recall:F3}");
    }
}

