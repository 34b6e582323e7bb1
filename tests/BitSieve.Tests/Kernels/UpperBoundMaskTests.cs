namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class UpperBoundMaskTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Matches_the_scalar_definition(int seed)
    {
        var random = new Random(seed);
        var dots = new int[64];
        var balance = new float[64];
        var rinv = new float[64];
        var width = new float[64];
        var beta = new float[64];
        for (int trial = 0; trial < 200; trial++)
        {
            for (int v = 0; v < 64; v++)
            {
                dots[v] = random.Next(0, 5761);
                balance[v] = 2 * random.Next(0, 385) - 384;
                rinv[v] = (float)(random.NextDouble() * 0.2);
                width[v] = (float)(random.NextDouble() * 0.1);
                beta[v] = (float)(random.NextDouble() - 0.5);
            }
            var k = new UpperBoundCoefficients((float)(random.NextDouble() * 0.02), (float)(random.NextDouble() * 0.2 - 0.1),
                (float)(random.NextDouble() * 40 - 60), (float)random.NextDouble(), (float)(random.NextDouble() - 0.5));
            // Thresholds from −∞ (every bit set) through the bounds' range to +∞ (none).
            float tau = trial switch
            {
                0 => float.NegativeInfinity,
                1 => float.PositiveInfinity,
                _ => (float)(random.NextDouble() * 4 - 2),
            };

            ulong mask = Kernels.UpperBoundMask(dots, balance, rinv, width, beta, k, tau);
            for (int v = 0; v < 64; v++)
            {
                double upper = rinv[v] * ((double)dots[v] * k.Dot + balance[v] * k.Balance + k.Constant) + (double)width[v] * k.Width + beta[v] + k.Offset;
                // Lanes within float rounding of τ may go either way.
                if (Math.Abs(upper - tau) <= 1e-4 * (1 + Math.Abs(upper))) continue;
                Assert.True(((mask >> v) & 1) == (upper >= tau ? 1UL : 0UL), $"lane {v}: upper {upper}, τ {tau}");
            }
        }
    }

    [Fact]
    public void Rejects_mismatched_lengths()
    {
        var k = new UpperBoundCoefficients(1, 1, 0, 1, 0);
        var f = new float[64];
        Assert.Throws<ArgumentException>(() => Kernels.UpperBoundMask(new int[32], f, f, f, f, k, 0));
        Assert.Throws<ArgumentException>(() => Kernels.UpperBoundMask(new int[64], new float[63], f, f, f, k, 0));
        Assert.Throws<ArgumentException>(() => Kernels.UpperBoundMask(new int[64], f, f, f, new float[65], k, 0));
    }
}
