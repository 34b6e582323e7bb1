using CsCheck;

namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class DotTests
{
    [Fact]
    public void Dot_and_SquaredDistance_match_reference_for_every_length()
    {
        var random = new Random(6);
        for (int length = 0; length <= 300; length++)
        {
            float[] a = RandomFloats(random, length);
            float[] b = RandomFloats(random, length);
            AssertClose(Reference.Dot(a, b), Kernels.Dot(a, b), a, b);
            AssertClose(Reference.SquaredDistance(a, b), Kernels.SquaredDistance(a, b), a, b);
            Assert.Equal(0f, Kernels.SquaredDistance(a, a));
        }
    }

    [Fact]
    public void Dot_property() =>
        Gen.Float[-100f, 100f].Array[0, 300].SelectMany(a => Gen.Float[-100f, 100f].Array[a.Length].Select(b => (a, b)))
            .Sample(t =>
            {
                double scale = Scale(t.a, t.b);
                return Math.Abs(Kernels.Dot(t.a, t.b) - Reference.Dot(t.a, t.b)) <= 1e-5 * scale
                    && Math.Abs(Kernels.SquaredDistance(t.a, t.b) - Reference.SquaredDistance(t.a, t.b)) <= 1e-5 * (scale + Reference.SquaredDistance(t.a, t.b));
            });

    [Fact]
    public void Validation()
    {
        Assert.Throws<ArgumentException>(() => Kernels.Dot(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.SquaredDistance(new float[3], new float[4]));
    }

    private static float[] RandomFloats(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    // Relative to Σ|a·b| (and Σ (|a|+|b|)², for distances), the magnitude float rounding error scales with.
    private static double Scale(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += Math.Abs((double)a[i] * b[i]) + (((double)Math.Abs(a[i]) + Math.Abs(b[i])) * (Math.Abs(a[i]) + Math.Abs(b[i])));
        }

        return s;
    }

    private static void AssertClose(double expected, float actual, float[] a, float[] b)
    {
        double tolerance = 1e-5 * (Scale(a, b) + 1e-30);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"length {a.Length}: expected {expected}, got {actual}");
    }
}
