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
    public void Validation()
    {
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDot(new ulong[6], new ulong[23], 4));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDot(new ulong[6], new ulong[6], 0));
        Assert.Throws<ArgumentException>(() => Kernels.AsymmetricDot(new ulong[6], new ulong[54], 9));
    }

}
