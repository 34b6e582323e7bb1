namespace BitSieve.Tests.Engine;

/// <summary>Every misuse fails with the documented exception type and a message that says what was wrong.</summary>
public sealed class BadInputTests
{
    private const int Dim = 8;

    private static VectorIndex Small(Metric metric = Metric.Cosine, int points = 100)
    {
        var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = metric, TrainingSize = 50 });
        collection.UpsertBatch(TestData.Ids(points), TestData.Shifted(points, Dim, seed: 1, shift: 0.5f));
        return collection;
    }

    private static float[] Vector(float fill = 0.5f, int dim = Dim) => Enumerable.Repeat(fill, dim).ToArray();

    [Fact]
    public void Wrong_dimension_is_rejected_everywhere()
    {
        using var c = Small();
        var ex = Assert.Throws<ArgumentException>(() => c.Upsert(1000, Vector(dim: Dim + 1)));
        Assert.Contains("8 per vector", ex.Message);
        Assert.Contains("got 9", ex.Message);
        Assert.Throws<ArgumentException>(() => c.Upsert(1000, Vector(dim: Dim - 1)));
        Assert.Contains("7 dimensions", Assert.Throws<ArgumentException>(() => c.Search(Vector(dim: Dim - 1))).Message);
        Assert.Throws<ArgumentException>(() => c.SearchExact(Vector(dim: Dim + 1), 5));
        Assert.Throws<ArgumentException>(() => c.Search(ReadOnlySpan<float>.Empty));
        // A batch: ids and floats disagree.
        Assert.Contains("3 ids need 24 floats", Assert.Throws<ArgumentException>(() => c.UpsertBatch([1000, 1001, 1002], Vector(dim: 2 * Dim))).Message);
        Assert.Equal(100, c.Count);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_components_are_rejected_naming_the_component(float bad)
    {
        foreach (var metric in new[] { Metric.Cosine, Metric.Dot, Metric.Euclidean })
        {
            using var c = Small(metric);
            var v = Vector();
            v[3] = bad;
            var upsert = Assert.Throws<ArgumentException>(() => c.Upsert(1000, v));
            Assert.Contains("Component 3", upsert.Message);
            Assert.Contains("finite", upsert.Message);
            Assert.Contains("Component 3", Assert.Throws<ArgumentException>(() => c.Search(v)).Message);
            Assert.Contains("Component 3", Assert.Throws<ArgumentException>(() => c.SearchExact(v, 3)).Message);
            var batch = Vector(dim: 2 * Dim);
            batch[Dim + 3] = bad;
            var inBatch = Assert.Throws<ArgumentException>(() => c.SearchBatch(batch));
            Assert.Contains("Component 3", inBatch.Message);
            Assert.Contains("query 1", inBatch.Message);
            Assert.False(c.Contains(1000));
        }
    }

    [Fact]
    public void Zero_vector_is_rejected_under_cosine()
    {
        using var c = Small();
        Assert.Contains("all zeros", Assert.Throws<ArgumentException>(() => c.Upsert(1000, new float[Dim])).Message);
        Assert.Contains("all zeros", Assert.Throws<ArgumentException>(() => c.Search(new float[Dim])).Message);
        Assert.Throws<ArgumentException>(() => c.SearchExact(new float[Dim], 1));
        Assert.Equal(100, c.Count);
    }

    [Theory]
    [InlineData(Metric.Dot)]
    [InlineData(Metric.Euclidean)]
    public void Zero_vector_is_accepted_under_dot_and_euclidean(Metric metric)
    {
        using var c = Small(metric);
        c.Upsert(1000, new float[Dim]);
        Assert.Equal(101, c.Count);
        Assert.Equal(new float[Dim], c.GetVector(1000));
        // As a query too: Dot scores everything 0; Euclidean ranks by norm, and the zero point is nearest.
        var hits = c.Search(new float[Dim], new SearchOptions { K = 3 }).Hits;
        Assert.Equal(3, hits.Count);
        if (metric == Metric.Euclidean)
        {
            Assert.Equal(1000UL, hits[0].Id);
            Assert.Equal(0f, hits[0].Score);
        }
        Assert.Equal(3, c.SearchExact(new float[Dim], 3).Hits.Count);
    }

    [Fact]
    public void A_batch_with_one_bad_row_leaves_the_collection_unchanged()
    {
        using var c = Small();
        var query = TestData.Gaussian(1, Dim, seed: 9);
        var before = c.Search(query, new SearchOptions { K = 20 }).Hits.ToArray();
        var oldVector = c.GetVector(5);
        var rows = TestData.Gaussian(3, Dim, seed: 10);
        rows[2 * Dim + 1] = float.NaN; // the last row is bad
        var ex = Assert.Throws<ArgumentException>(() => c.UpsertBatch([5, 500, 501], rows));
        Assert.Contains("point 501", ex.Message);
        Assert.Contains("Component 1", ex.Message);

        Assert.Equal(100, c.Count);
        Assert.False(c.Contains(500));
        Assert.Equal(oldVector, c.GetVector(5));
        Assert.Equal(before, c.Search(query, new SearchOptions { K = 20 }).Hits);

        var zero = TestData.Gaussian(2, Dim, seed: 11);
        zero.AsSpan(Dim).Clear(); // zero row under cosine
        Assert.Throws<ArgumentException>(() => c.UpsertBatch([600, 601], zero));
        Assert.Equal(100, c.Count);
        Assert.False(c.Contains(600));
    }

    [Fact]
    public void Unknown_ids_throw_key_not_found()
    {
        using var c = Small();
        Assert.Contains("12345", Assert.Throws<KeyNotFoundException>(() => c.Delete(12345)).Message);
        Assert.Throws<KeyNotFoundException>(() => c.GetVector(12345));
        c.Delete(3);
        Assert.Throws<KeyNotFoundException>(() => c.Delete(3));
        Assert.Throws<KeyNotFoundException>(() => c.GetVector(3));
        Assert.Equal(99, c.Count);
    }

    [Fact]
    public void Out_of_range_search_options_are_rejected()
    {
        using var c = Small();
        var q = Vector();
        var k = Assert.Throws<ArgumentOutOfRangeException>(() => c.Search(q, new SearchOptions { K = 0 }));
        Assert.Equal("K", k.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Search(q, new SearchOptions { K = -5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchExact(q, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchBatch(q, new SearchOptions { K = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchExactBatch(q, 0));
        Assert.Equal("Threads", Assert.Throws<ArgumentOutOfRangeException>(() => c.Search(q, new SearchOptions { Threads = 0 })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchExact(q, 5, threads: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchBatch(q, new SearchOptions { Threads = -1 }));
        Assert.Equal("Oversampling", Assert.Throws<ArgumentOutOfRangeException>(() => c.Search(q, new SearchOptions { Oversampling = 0 })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchBatch(q, new SearchOptions { Oversampling = -2 }));
    }

    [Theory]
    [InlineData(1, 4, "Dimension")]
    [InlineData(0, 4, "Dimension")]
    [InlineData(4097, 4, "Dimension")]
    [InlineData(8, 3, "Bits")]
    [InlineData(8, 1, "Bits")]
    [InlineData(8, 16, "Bits")]
    public void Invalid_collection_options_are_rejected(int dimension, int bits, string param)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => VectorIndex.Create(new CollectionOptions { Dimension = dimension, Bits = bits }));
        Assert.Equal(param, ex.ParamName);
    }

    [Fact]
    public void Other_invalid_collection_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorIndex.Create(new CollectionOptions { Dimension = 8, TrainingSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorIndex.Create(new CollectionOptions { Dimension = 8, Metric = (Metric)7 }));
        Assert.Throws<ArgumentNullException>(() => VectorIndex.Create(null!));
        using var smallest = VectorIndex.Create(new CollectionOptions { Dimension = 2 });
        using var largest = VectorIndex.Create(new CollectionOptions { Dimension = CollectionOptions.MaxDimension, Bits = 8 });
        Assert.Equal(4096, largest.Dimension);
    }

    [Fact]
    public void Quality_parsing_and_range()
    {
        Assert.Contains("abc", Assert.Throws<FormatException>(() => Quality.Parse("abc")).Message);
        Assert.Throws<FormatException>(() => Quality.Parse(""));
        Assert.Throws<ArgumentNullException>(() => Quality.Parse(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.Recall(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.Recall(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.Recall(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.Recall(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quality.Recall(double.NaN));
        Assert.Equal(Quality.Exact, Quality.Parse("EXACT"));
        Assert.Equal(0.99, Quality.Parse("0.99").RecallTarget);
        Assert.Equal("0.995", Quality.Default.ToString());
        Assert.Equal("exact", Quality.Exact.ToString());
        Assert.True(Quality.Exact.IsExact);
        Assert.False(Quality.Default.IsExact);
    }

    [Fact]
    public void Query_batches_must_hold_whole_vectors()
    {
        using var c = Small();
        var ex = Assert.Throws<ArgumentException>(() => c.SearchBatch(Vector(dim: Dim + 3)));
        Assert.Contains("multiple of 8", ex.Message);
        Assert.Throws<ArgumentException>(() => c.SearchExactBatch(Vector(dim: 2 * Dim - 1), 5));
        Assert.Empty(c.SearchBatch(ReadOnlySpan<float>.Empty));
    }

    [Theory]
    [InlineData(Metric.Cosine)]
    [InlineData(Metric.Dot)]
    [InlineData(Metric.Euclidean)]
    public void Vectors_whose_norm_overflows_are_rejected(Metric metric)
    {
        using var c = Small(metric);
        var huge = Vector(3e38f);
        Assert.Contains("overflows", Assert.Throws<ArgumentException>(() => c.Upsert(1000, huge)).Message);
        Assert.Contains("overflows", Assert.Throws<ArgumentException>(() => c.Search(huge)).Message);
        Assert.Equal(100, c.Count);
    }

    [Fact]
    public void Use_after_dispose_throws_object_disposed()
    {
        var c = Small();
        c.Dispose();
        c.Dispose(); // idempotent
        var q = Vector();
        Assert.Throws<ObjectDisposedException>(() => c.Search(q));
        Assert.Throws<ObjectDisposedException>(() => c.SearchExact(q, 3));
        Assert.Throws<ObjectDisposedException>(() => c.SearchBatch(q));
        Assert.Throws<ObjectDisposedException>(() => c.SearchExactBatch(q, 3));
        Assert.Throws<ObjectDisposedException>(() => c.Upsert(1000, q));
        Assert.Throws<ObjectDisposedException>(() => c.Delete(1));
        Assert.Throws<ObjectDisposedException>(() => c.GetVector(1));
        Assert.Throws<ObjectDisposedException>(() => c.Contains(1));
        Assert.Throws<ObjectDisposedException>(() => c.Compact());
        Assert.Throws<ObjectDisposedException>(() => c.Count);
        Assert.Throws<ObjectDisposedException>(() => c.Centroid);
        Assert.Throws<ObjectDisposedException>(() => c.IsTrained);
    }
}
