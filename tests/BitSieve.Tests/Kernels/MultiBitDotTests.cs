namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class MultiBitDotTests
{
    [Fact]
    public void MultiBitDot_matches_reference_for_all_widths_and_bits()
    {
        var random = new Random(5);
        for (int words = 0; words <= 70; words++)
        {
            for (int codeBits = 1; codeBits <= 8; codeBits++)
            {
                for (int queryBits = 1; queryBits <= 8; queryBits++)
                {
                    if (words > 20 && (codeBits + queryBits + words) % 4 != 0)
                    {
                        continue; // every width still meets a spread of bit counts
                    }

                    ulong[] code = Reference.RandomWords(random, words * codeBits);
                    ulong[] planes = Reference.RandomWords(random, words * queryBits);
                    Assert.Equal(Reference.MultiBitDot(code, codeBits, planes, queryBits), Kernels.MultiBitDot(code, codeBits, planes, queryBits));
                }
            }
        }
    }

    [Fact]
    public void MultiBitDot_extremes()
    {
        foreach (int words in new[] { 0, 1, 2, 3, 6, 7, 8, 24, 64, 70 })
        {
            for (int codeBits = 1; codeBits <= 8; codeBits++)
            {
                for (int queryBits = 1; queryBits <= 8; queryBits++)
                {
                    ulong[] code = Reference.Filled(words * codeBits, ulong.MaxValue);
                    ulong[] planes = Reference.Filled(words * queryBits, ulong.MaxValue);
                    long expected = 64L * words * ((1L << codeBits) - 1) * ((1L << queryBits) - 1);
                    Assert.Equal(expected, Kernels.MultiBitDot(code, codeBits, planes, queryBits));
                    Assert.Equal(0, Kernels.MultiBitDot(new ulong[words * codeBits], codeBits, planes, queryBits));
                }
            }
        }
    }

    [Fact]
    public void Validation()
    {
        Assert.Throws<ArgumentException>(() => Kernels.MultiBitDot(new ulong[18], 3, new ulong[47], 8));
        Assert.Throws<ArgumentException>(() => Kernels.MultiBitDot(new ulong[17], 3, new ulong[48], 8));
        Assert.Throws<ArgumentException>(() => Kernels.MultiBitDot(new ulong[18], 0, new ulong[48], 8));
        Assert.Throws<ArgumentException>(() => Kernels.MultiBitDot(new ulong[54], 9, new ulong[48], 8));
        Assert.Throws<ArgumentException>(() => Kernels.MultiBitDot(new ulong[18], 3, new ulong[54], 9));
    }
}
