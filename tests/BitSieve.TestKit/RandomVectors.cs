namespace BitSieve.TestKit;

/// <summary>Seeded random vectors, row-major: the same seed gives the same values on every machine.</summary>
public static class RandomVectors
{
    /// <summary>Rows of independent N(0, σ²) components.</summary>
    public static float[] Gaussian(int rows, int dim, int seed, double sigma = 1)
    {
        var random = new Random(seed);
        var data = new float[rows * dim];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(sigma * Normal(random));
        return data;
    }

    /// <summary>Rows of independent components uniform in [-1, 1).</summary>
    public static float[] Uniform(int rows, int dim, int seed)
    {
        var random = new Random(seed);
        var data = new float[rows * dim];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>One standard normal sample (Box–Muller).</summary>
    public static double Normal(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
