namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class FastScanTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(24)]
    [InlineData(64)]
    public void Matches_the_scalar_definition(int words)
    {
        var random = new Random(words);
        for (int trial = 0; trial < 20; trial++)
        {
            int dims = words * 64;
            var codes = new ulong[Kernels.FastScanCodes][];
            for (int v = 0; v < codes.Length; v++)
            {
                codes[v] = new ulong[words];
                for (int w = 0; w < words; w++) codes[v][w] = trial switch { 0 => ulong.MaxValue, 1 => 0, _ => (ulong)random.NextInt64() };
            }
            var q = new byte[dims];
            for (int i = 0; i < dims; i++) q[i] = trial == 0 ? (byte)15 : (byte)random.Next(16);

            int bytes = words * 8;
            var block = new byte[bytes * 64];
            for (int v = 0; v < 64; v++)
                for (int p = 0; p < bytes; p++) block[p * 64 + v] = (byte)(codes[v][p / 8] >> (8 * (p % 8)));
            var tables = new byte[2 * bytes * 64];
            for (int t = 0; t < 2 * bytes; t++)
                for (int m = 0; m < 16; m++)
                {
                    int sum = 0;
                    for (int bit = 0; bit < 4; bit++) if (((m >> bit) & 1) != 0) sum += q[4 * t + bit];
                    for (int lane = 0; lane < 4; lane++) tables[t * 64 + lane * 16 + m] = (byte)sum;
                }

            var results = new int[64];
            Kernels.FastScan(block, tables, results);
            for (int v = 0; v < 64; v++)
            {
                long expected = 0;
                for (int i = 0; i < dims; i++) if (((codes[v][i >> 6] >> (i & 63)) & 1) != 0) expected += q[i];
                Assert.Equal(expected, results[v]);
            }
        }
    }

    [Fact]
    public void Rejects_mismatched_lengths()
    {
        Assert.Throws<ArgumentException>(() => Kernels.FastScan(new byte[64 * 8], new byte[64 * 8], new int[64]));
        Assert.Throws<ArgumentException>(() => Kernels.FastScan(new byte[64 * 3], new byte[64 * 6], new int[64]));
        Assert.Throws<ArgumentException>(() => Kernels.FastScan(new byte[64 * 8], new byte[64 * 16], new int[32]));
    }
}
