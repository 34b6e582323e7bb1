using CsCheck;

namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class PopCountTests
{
    [Fact]
    public void PopCount_matches_reference_for_every_length()
    {
        var random = new Random(1);
        for (int length = 0; length <= 300; length++)
        {
            ulong[] bits = Reference.RandomWords(random, length);
            Assert.Equal(Reference.PopCount(bits), Kernels.PopCount(bits));
        }
    }

    [Fact]
    public void PopCount_extremes()
    {
        for (int length = 0; length <= 130; length++)
        {
            Assert.Equal(0, Kernels.PopCount(new ulong[length]));
            Assert.Equal(64L * length, Kernels.PopCount(Reference.Filled(length, ulong.MaxValue)));
        }
    }

    [Fact]
    public void PopCount_property() =>
        Gen.ULong.Array[0, 200].Sample(bits => Kernels.PopCount(bits) == Reference.PopCount(bits));

    [Fact]
    public void Hamming_matches_reference_for_every_length()
    {
        var random = new Random(2);
        for (int length = 0; length <= 300; length++)
        {
            ulong[] a = Reference.RandomWords(random, length);
            ulong[] b = Reference.RandomWords(random, length);
            Assert.Equal(Reference.Hamming(a, b), Kernels.Hamming(a, b));
            Assert.Equal(0, Kernels.Hamming(a, a));
            Assert.Equal(64L * length, Kernels.Hamming(new ulong[length], Reference.Filled(length, ulong.MaxValue)));
        }
    }

    [Fact]
    public void Hamming_property() =>
        Gen.ULong.Array[0, 150].SelectMany(a => Gen.ULong.Array[a.Length].Select(b => (a, b)))
            .Sample(t => Kernels.Hamming(t.a, t.b) == Reference.Hamming(t.a, t.b));

    [Fact]
    public void Hamming_rejects_mismatched_lengths() =>
        Assert.Throws<ArgumentException>(() => Kernels.Hamming(new ulong[3], new ulong[4]));
}
