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
                Close(Reference.Dot(t.a, t.b), Kernels.Dot(t.a, t.b), Scale(t.a, t.b))
                && Close(Reference.SquaredDistance(t.a, t.b), Kernels.SquaredDistance(t.a, t.b), Scale(t.a, t.b) + Reference.SquaredDistance(t.a, t.b)));

    [Fact]
    public void Products_that_underflow_float_count_as_zero()
    {
        // CI's seed 1baIylxbJQB1: (-5.733e-27)² underflows float to 0 while the double reference keeps 3.3e-53; a purely
        // relative tolerance rejected that.
        float[] a = [-5733E-30f];
        float[] b = [0f];
        Assert.Equal(0f, Kernels.SquaredDistance(a, b));
        Assert.True(Close(Reference.SquaredDistance(a, b), Kernels.SquaredDistance(a, b), Scale(a, b)));
    }

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

    // Relative error 1e-5 of the scale, plus an absolute floor far above what float underflow can lose (products below
    // float's smallest normal, 1.2e-38, round to zero or to a subnormal) and far below any value a vector search tells apart.
    private static bool Close(double expected, float actual, double scale) => Math.Abs(expected - actual) <= 1e-5 * (scale + 1e-30);

    private static void AssertClose(double expected, float actual, float[] a, float[] b) =>
        Assert.True(Close(expected, actual, Scale(a, b)), $"length {a.Length}: expected {expected}, got {actual}");
}
