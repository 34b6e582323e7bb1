using Xunit.Abstractions;

namespace BitSieve.Tests.Engine;

/// <summary>When the centroid is trained, re-trained after drift, and what that does to recall.</summary>
public sealed class TrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void Stays_untrained_below_the_training_size_and_trains_at_it()
    {
        const int dim = 8, size = 100;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = Metric.Dot, TrainingSize = size });
        var data = TestData.Shifted(size, dim, seed: 1, shift: 2);
        collection.UpsertBatch(TestData.Ids(60), data.AsSpan(0, 60 * dim));
        for (int i = 60; i < size - 1; i++) collection.Upsert((ulong)i, data.AsSpan(i * dim, dim));
        Assert.Equal(size - 1, collection.Count);
        Assert.False(collection.IsTrained);
        Assert.All(collection.Centroid, c => Assert.Equal(0f, c));

        collection.Upsert(size - 1, data.AsSpan((size - 1) * dim, dim));
        Assert.True(collection.IsTrained);
        var centroid = collection.Centroid;
        for (int j = 0; j < dim; j++)
        {
            double mean = Enumerable.Range(0, size).Average(r => (double)data[r * dim + j]);
            Assert.Equal(mean, centroid[j], 5);
        }
        // The returned array is a copy.
        centroid[0] = 1e9f;
        Assert.NotEqual(1e9f, collection.Centroid[0]);
    }

    [Fact]
    public void A_batch_crossing_the_training_size_trains_and_deletes_do_not_count()
    {
        const int dim = 8;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, TrainingSize = 50 });
        collection.UpsertBatch(TestData.Ids(49), TestData.Gaussian(49, dim, seed: 2));
        collection.Delete(0);
        collection.Upsert(49, TestData.Gaussian(1, dim, seed: 3)); // 49 live
        Assert.False(collection.IsTrained);
        collection.UpsertBatch(TestData.Ids(10, 100), TestData.Gaussian(10, dim, seed: 4));
        Assert.True(collection.IsTrained);
    }

    [Fact]
    public void Compact_trains_a_small_collection_on_its_data()
    {
        const int dim = 4;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = Metric.Euclidean });
        collection.UpsertBatch([1, 2, 3], [1, 2, 3, 4, 3, 2, 1, 0, 2, 2, 2, 2]);
        Assert.False(collection.IsTrained);
        collection.Compact();
        Assert.True(collection.IsTrained);
        Assert.Equal([2f, 2, 2, 2], collection.Centroid);
        Assert.Equal(1UL, collection.Search([1, 2, 3, 4], new SearchOptions { K = 1, Quality = Quality.Exact }).Hits[0].Id);
    }

    [Fact]
    public void Centroid_follows_anisotropic_data_and_its_drift_while_recall_holds()
    {
        const int dim = 64, batch = 200, phase = 5000;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = Metric.Cosine });
        var first = TestData.UnitVector(dim, seed: 100);
        var second = TestData.UnitVector(dim, seed: 200);
        var random = new Random(5);
        var live = new List<float[]>();
        ulong nextId = 0;

        float[] Sample(float[] direction)
        {
            // normalize(m + 0.3·g), g ~ N(0, I/d): unrelated vectors have cosine ≈ 0.92, like an anisotropic model.
            var v = new float[dim];
            for (int j = 0; j < dim; j++) v[j] = direction[j] + (float)(0.3 * TestData.Normal(random) / Math.Sqrt(dim));
            TestData.Normalize(v);
            return v;
        }

        double CosineToMean(float[] centroid)
        {
            var mean = new double[dim];
            foreach (var v in live) for (int j = 0; j < dim; j++) mean[j] += v[j];
            double dot = 0, a = 0, b = 0;
            for (int j = 0; j < dim; j++) { dot += mean[j] * centroid[j]; a += mean[j] * mean[j]; b += (double)centroid[j] * centroid[j]; }
            return dot / Math.Sqrt(a * b);
        }

        double InsertPhase(float[] direction, Func<int, bool> check)
        {
            double worst = 1;
            for (int inserted = 0; inserted < phase; inserted += batch)
            {
                var rows = new float[batch * dim];
                var ids = new ulong[batch];
                for (int r = 0; r < batch; r++)
                {
                    var v = Sample(direction);
                    v.CopyTo(rows, r * dim);
                    live.Add(v);
                    ids[r] = nextId++;
                }
                collection.UpsertBatch(ids, rows);
                Assert.True(check(collection.Count), $"after {collection.Count} points");

                double recall = 0;
                for (int i = 0; i < 8; i++)
                {
                    var q = Sample(direction);
                    recall += TestData.Recall(collection.Search(q, new SearchOptions { K = 10 }), collection.SearchExact(q, 10)) / 8;
                }
                Assert.True(recall >= 0.99, $"recall@10 {recall:F3} after {collection.Count} points");
                worst = Math.Min(worst, recall);
            }
            return worst;
        }

        double worstFirst = InsertPhase(first, count => collection.IsTrained == (count >= 1024));
        var trained = collection.Centroid;
        double cosine = CosineToMean(trained);
        Assert.True(cosine >= 0.99, $"centroid · data mean cosine {cosine:F4} < 0.99");

        // Drift: the same amount again around another direction.
        var centroids = new List<float[]> { trained };
        double worstSecond = InsertPhase(second, _ =>
        {
            var c = collection.Centroid;
            if (!c.SequenceEqual(centroids[^1])) centroids.Add(c);
            return collection.IsTrained;
        });
        output.WriteLine($"worst recall {worstFirst:F3} / {worstSecond:F3}; re-trainings after drift: {centroids.Count - 1}; " +
            $"cosine to mean before {CosineToMean(trained):F4}, after {CosineToMean(collection.Centroid):F4}");
        Assert.True(centroids.Count >= 2, "the centroid never moved although the data mean did");
        Assert.True(CosineToMean(collection.Centroid) > CosineToMean(trained) + 0.01,
            $"the re-trained centroid ({CosineToMean(collection.Centroid):F4}) is no closer to the data mean than the old one ({CosineToMean(trained):F4})");

        collection.Compact();
        Assert.True(CosineToMean(collection.Centroid) >= 0.9999, $"after Compact: cosine {CosineToMean(collection.Centroid):F6}");
        var q2 = Sample(second);
        CascadeVsExactTests.AssertSameUpToTies(collection.SearchExact(q2, 10),
            collection.Search(q2, new SearchOptions { K = 10, Quality = Quality.Exact }), "after Compact");
    }
}
