using BitSieve.Cli.Bench;

namespace BitSieve.Cli.Tests;

public sealed class ScaledBaseTests
{
    // 3 rows of odd dimension 3, so one row's spare Box–Muller normal must start the next row.
    private static readonly float[] Base = [1, 0, 0, 0.6f, 0.8f, 0, -0.5f, 0.5f, 0.7071f];

    [Fact]
    public void Matches_the_documented_formula_on_a_tiny_case()
    {
        const int d = 3, n0 = 3, grown = 5;
        var actual = new float[grown * d];
        new ScaledBase(Base, n0, d).Generate(actual);

        // The procedure as the help text states it, written out independently.
        var random = new Random(42);
        var normals = new List<double>();
        while (normals.Count < grown * d)
        {
            double u1 = random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(1 - u1));
            normals.Add(r * Math.Cos(2 * Math.PI * u2));
            normals.Add(r * Math.Sin(2 * Math.PI * u2));
        }

        for (int row = 0; row < grown; row++)
        {
            int i = n0 + row;
            var y = new double[d];
            for (int j = 0; j < d; j++) y[j] = Base[(i % n0) * d + j] + 0.5 * normals[row * d + j] / Math.Sqrt(d);
            double norm = Math.Sqrt(y.Sum(v => v * v));
            for (int j = 0; j < d; j++) Assert.Equal((float)(y[j] / norm), actual[row * d + j]);
        }
    }

    [Fact]
    public void Is_deterministic_and_independent_of_chunking()
    {
        const int d = 3, n0 = 3;
        var once = new float[7 * d];
        var generator = new ScaledBase(Base, n0, d);
        generator.Generate(once);
        Assert.Equal(n0 + 7, generator.NextRow);

        var again = new float[7 * d];
        new ScaledBase(Base, n0, d).Generate(again);
        Assert.Equal(once, again);

        var chunked = new float[7 * d];
        var pieces = new ScaledBase(Base, n0, d);
        pieces.Generate(chunked.AsSpan(0, 1 * d));
        pieces.Generate(chunked.AsSpan(1 * d, 2 * d));
        pieces.Generate(chunked.AsSpan(3 * d, 4 * d));
        Assert.Equal(once, chunked);
    }

    [Fact]
    public void Rows_are_unit_vectors_near_their_source()
    {
        const int d = 64, n0 = 10;
        var random = new Random(1);
        var baseVectors = new float[n0 * d];
        for (int i = 0; i < baseVectors.Length; i++) baseVectors[i] = (float)(random.NextDouble() - 0.5);
        for (int r = 0; r < n0; r++) Normalize(baseVectors.AsSpan(r * d, d));

        var grown = new float[30 * d];
        new ScaledBase(baseVectors, n0, d).Generate(grown);
        for (int row = 0; row < 30; row++)
        {
            var x = grown.AsSpan(row * d, d);
            double norm = Math.Sqrt(Dot(x, x));
            Assert.InRange(norm, 0.99999, 1.00001);

            // Noise of norm about 0.5 around a unit vector: cosine about 0.9 with the source row.
            int source = (n0 + row) % n0;
            Assert.InRange(Dot(x, baseVectors.AsSpan(source * d, d)), 0.75, 1.0);
        }
    }

    [Fact]
    public void Rejects_partial_rows()
    {
        var generator = new ScaledBase(Base, 3, 3);
        Assert.Throws<ArgumentException>(() => generator.Generate(new float[4]));
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    private static void Normalize(Span<float> v)
    {
        float norm = (float)Math.Sqrt(Dot(v, v));
        for (int i = 0; i < v.Length; i++) v[i] /= norm;
    }
}
