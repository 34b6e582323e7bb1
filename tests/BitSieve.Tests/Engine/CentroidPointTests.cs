namespace BitSieve.Tests.Engine;

/// <summary>
/// A stored vector equal to the centroid has no direction (R = ‖x − c‖ = 0): its score is the additive term β + γ
/// alone, known exactly. Exact quality must still rank it like exact search does.
/// </summary>
public sealed class CentroidPointTests
{
    [Theory]
    [InlineData(Metric.Euclidean, 1)]
    [InlineData(Metric.Euclidean, 5)]
    [InlineData(Metric.Dot, 1)]
    [InlineData(Metric.Dot, 5)]
    public void Exact_quality_finds_the_zero_vector_of_an_untrained_collection(Metric metric, int k)
    {
        // Untrained: the centroid is the origin, so the zero vector lies on it.
        const int dim = 16;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = metric });
        var data = TestData.Gaussian(40, dim, seed: 1, sigma: 2);
        var query = new float[dim];
        for (int j = 0; j < dim; j++) query[j] = metric == Metric.Euclidean ? 0.2f * (j % 2 == 0 ? 1 : -1) : 0.25f;
        if (metric == Metric.Dot)
        {
            // Every other point scores below 0 = ⟨0, q⟩, so the zero vector is the best hit.
            for (int r = 1; r < 40; r++)
                if (TestData.Dot(data.AsSpan(r * dim, dim), query) >= 0)
                    for (int j = 0; j < dim; j++) data[r * dim + j] = -data[r * dim + j];
        }
        data.AsSpan(0, dim).Clear(); // id 0 is the zero vector
        collection.UpsertBatch(TestData.Ids(40), data);
        Assert.False(collection.IsTrained);

        var truth = collection.SearchExact(query, k);
        var exact = collection.Search(query, new SearchOptions { K = k, Quality = Quality.Exact });
        CascadeVsExactTests.AssertSameUpToTies(truth, exact, $"{metric} k={k}");
        Assert.Equal(0UL, truth.Hits[0].Id);
    }

    [Theory]
    [InlineData(Metric.Euclidean)]
    [InlineData(Metric.Dot)]
    public void Exact_quality_finds_a_point_equal_to_the_trained_centroid(Metric metric)
    {
        // Symmetric data: ±v pairs plus the mean itself, so the trained centroid is exactly that mean point.
        const int dim = 8;
        var mean = new float[dim];
        for (int j = 0; j < dim; j++) mean[j] = -1 - j * 0.25f;
        var rows = new List<float>();
        var random = new Random(3);
        for (int p = 0; p < 20; p++)
        {
            var v = new float[dim];
            for (int j = 0; j < dim; j++) v[j] = random.Next(-8, 9) * 0.5f; // exact in binary, so the sums stay exact
            rows.AddRange(mean.Select((m, j) => m + v[j]));
            rows.AddRange(mean.Select((m, j) => m - v[j]));
        }
        rows.AddRange(mean);
        int n = rows.Count / dim;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = metric, TrainingSize = n });
        collection.UpsertBatch(TestData.Ids(n), rows.ToArray());
        Assert.True(collection.IsTrained);
        Assert.Equal(mean, collection.Centroid);

        // The query lies 10% beyond the mean point, which is its nearest neighbour (Euclidean).
        var query = mean.Select(m => m * 1.1f).ToArray();
        foreach (int k in new[] { 1, 3 })
        {
            var truth = collection.SearchExact(query, k);
            var exact = collection.Search(query, new SearchOptions { K = k, Quality = Quality.Exact });
            if (metric == Metric.Euclidean) Assert.Equal((ulong)(n - 1), truth.Hits[0].Id);
            CascadeVsExactTests.AssertSameUpToTies(truth, exact, $"{metric} k={k}");
        }
    }
}
