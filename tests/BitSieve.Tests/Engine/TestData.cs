namespace BitSieve.Tests.Engine;

/// <summary>Seeded random vectors and recall (the real MiniLM vectors are <see cref="MiniLmFixture"/>).</summary>
internal static class TestData
{
    /// <summary>Rows of independent N(0, σ²) components, row-major (<see cref="RandomVectors.Gaussian"/>).</summary>
    public static float[] Gaussian(int rows, int dim, int seed, double sigma = 1) => RandomVectors.Gaussian(rows, dim, seed, sigma);

    public static double Normal(Random random) => RandomVectors.Normal(random);

    /// <summary>A random unit vector.</summary>
    public static float[] UnitVector(int dim, int seed)
    {
        var v = Gaussian(1, dim, seed);
        Normalize(v);
        return v;
    }

    public static void Normalize(Span<float> v)
    {
        double n = 0;
        foreach (var x in v) n += (double)x * x;
        float inv = (float)(1 / Math.Sqrt(n));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
    }

    /// <summary>Gaussian rows shifted by a common offset, so that centring matters.</summary>
    public static float[] Shifted(int rows, int dim, int seed, float shift)
    {
        var data = Gaussian(rows, dim, seed);
        var mean = Gaussian(1, dim, seed + 7919);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++) data[r * dim + j] += shift * mean[j];
        return data;
    }

    public static ulong[] Ids(int count, ulong first = 0)
    {
        var ids = new ulong[count];
        for (int i = 0; i < count; i++) ids[i] = first + (ulong)i;
        return ids;
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>|found ∩ truth| / |truth| by id.</summary>
    public static double Recall(SearchResult found, SearchResult truth)
    {
        if (truth.Hits.Count == 0) return 1;
        var ids = truth.Hits.Select(h => h.Id).ToHashSet();
        return (double)found.Hits.Count(h => ids.Contains(h.Id)) / truth.Hits.Count;
    }
}
