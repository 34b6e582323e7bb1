using CsCheck;

namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class AsymmetricDotTests
{
    [Fact]
    public void AsymmetricDot_matches_reference_for_all_widths_and_bits()
    {
        var random = new Random(3);
        for (int words = 0; words <= 70; words++)
        {
            for (int bits = 1; bits <= 8; bits++)
            {
                ulong[] code = Reference.RandomWords(random, words);
                ulong[] planes = Reference.RandomWords(random, words * bits);
                Assert.Equal(Reference.AsymmetricDot(code, planes, bits), Kernels.AsymmetricDot(code, planes, bits));
            }
        }
    }

    [Fact]
    public void AsymmetricDot_extremes()
    {
        for (int words = 0; words <= 70; words++)
        {
            for (int bits = 1; bits <= 8; bits++)
            {
                ulong[] ones = Reference.Filled(words * bits, ulong.MaxValue);
                Assert.Equal(64L * words * ((1 << bits) - 1), Kernels.AsymmetricDot(ones.AsSpan(0, words), ones, bits));
                Assert.Equal(0, Kernels.AsymmetricDot(new ulong[words], ones, bits));
                Assert.Equal(0, Kernels.AsymmetricDot(ones.AsSpan(0, words), new ulong[words * bits], bits));
            }
        }
    }

    [Fact]
    public void AsymmetricDotBlock_matches_reference_for_all_widths_bits_and_counts()
    {
        var random = new Random(4);
        foreach (int n in new[] { 0, 1, 2, 3, 5, 7, 9, 1024 })
        {
            for (int words = 1; words <= 70; words++)
            {
                for (int bits = 1; bits <= 8; bits++)
                {
                    if (n == 1024 && words % 5 != 1 && words != 6 && words != 24 && bits != 4)
                    {
                        continue; // keep the large case to a sample of shapes
                    }

                    ulong[] codes = Reference.RandomWords(random, n * words);
                    ulong[] planes = Reference.RandomWords(random, words * bits);
                    AssertBlock(codes, planes, bits, n, words);
                }
            }
        }
    }

    [Fact]
    public void AsymmetricDotBlock_extremes()
    {
        foreach (int n in new[] { 1, 7, 1024 })
        {
            foreach (int words in new[] { 1, 2, 3, 5, 6, 8, 13, 24, 64, 70 })
            {
                for (int bits = 1; bits <= 8; bits++)
                {
                    ulong[] ones = Reference.Filled(n * words, ulong.MaxValue);
                    ulong[] planes = Reference.Filled(words * bits, ulong.MaxValue);
                    var results = new int[n];
                    Kernels.AsymmetricDotBlock(ones, planes, bits, results);
                    Assert.All(results, r => Assert.Equal(64 * words * ((1 << bits) - 1), r));
                    Kernels.AsymmetricDotBlock(new ulong[n * words], planes, bits, results);
                    Assert.All(results, r => Assert.Equal(0, r));
                    Kernels.AsymmetricDotBlock(ones, new ulong[words * bits], bits, results);
                    Assert.All(results, r => Assert.Equal(0, r));
                }
            }
        }
    }

    [Fact]
    public void AsymmetricDotBlock_property() =>
        Gen.Select(Gen.Int[1, 70], Gen.Int[1, 8], Gen.Int[0, 40])
            .SelectMany((w, b, n) => Gen.Select(Gen.ULong.Array[n * w], Gen.ULong.Array[w * b]).Select((c, q) => (w, b, n, c, q)))
            .Sample(t =>
            {
                var results = new int[t.n];
                Kernels.AsymmetricDotBlock(t.c, t.q, t.b, results);
                for (int i = 0; i < t.n; i++)
                {
                    if (results[i] != Reference.AsymmetricDot(t.c.AsSpan(i * t.w, t.w), t.q, t.b))
                    {
                        return false;
                    }
                }

                return true;
            });

    [Fact]
    public void Validation()
    {
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDot(new ulong[6], new ulong[23], 4));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDot(new ulong[6], new ulong[6], 0));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDot(new ulong[6], new ulong[54], 9));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDotBlock(new ulong[12], new ulong[24], 4, new int[3]));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDotBlock(new ulong[12], new ulong[23], 4, new int[2]));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDotBlock(new ulong[12], new ulong[24], 0, new int[2]));
    }

    private static void AssertBlock(ulong[] codes, ulong[] planes, int bits, int n, int words)
    {
        // Results are written into a larger buffer to catch writes past the end.
        var buffer = new int[n + 1];
        buffer[n] = -12345;
        Kernels.AsymmetricDotBlock(codes, planes, bits, buffer.AsSpan(0, n));
        for (int i = 0; i < n; i++)
        {
            long expected = Reference.AsymmetricDot(codes.AsSpan(i * words, words), planes, bits);
            Assert.True(expected == buffer[i], $"n={n} W={words} bits={bits} i={i}: expected {expected}, got {buffer[i]}");
        }

        Assert.Equal(-12345, buffer[n]);
    }
}
