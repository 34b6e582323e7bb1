namespace BitSieve.Tests;

[Trait("Category", "Kernels")]
public class ByteDotTests
{
    [Fact]
    public void DotNibbles_matches_the_scalar_definition()
    {
        var random = new Random(7);
        for (int half = 0; half <= 300; half += half < 70 ? 1 : 37)
        {
            for (int trial = 0; trial < 4; trial++)
            {
                var packed = new byte[half];
                var query = new sbyte[2 * half];
                for (int i = 0; i < half; i++) packed[i] = trial == 0 ? (byte)0xFF : (byte)random.Next(256);
                for (int i = 0; i < query.Length; i++) query[i] = trial == 0 ? sbyte.MinValue : (sbyte)random.Next(-128, 128);
                long expected = 0;
                for (int i = 0; i < half; i++) expected += (packed[i] & 0x0F) * query[i] + (packed[i] >> 4) * query[half + i];
                Assert.Equal(expected, Kernels.DotNibbles(packed, query));
            }
        }
    }

    [Fact]
    public void DotBytes_matches_the_scalar_definition()
    {
        var random = new Random(8);
        for (int length = 0; length <= 600; length += length < 140 ? 1 : 53)
        {
            for (int trial = 0; trial < 4; trial++)
            {
                var codes = new byte[length];
                var query = new sbyte[length];
                for (int i = 0; i < length; i++)
                {
                    codes[i] = trial == 0 ? byte.MaxValue : (byte)random.Next(256);
                    query[i] = trial == 0 ? (sbyte)-Kernels.DotBytesQueryLimit : (sbyte)random.Next(-Kernels.DotBytesQueryLimit, Kernels.DotBytesQueryLimit + 1);
                }
                long expected = 0;
                for (int i = 0; i < length; i++) expected += codes[i] * query[i];
                Assert.Equal(expected, Kernels.DotBytes(codes, query));
            }
        }
    }

    [Fact]
    public void SquaredDistanceBytes_matches_the_scalar_definition()
    {
        var random = new Random(9);
        for (int length = 0; length <= 600; length += length < 140 ? 1 : 53)
        {
            for (int trial = 0; trial < 4; trial++)
            {
                var a = new sbyte[length];
                var b = new sbyte[length];
                for (int i = 0; i < length; i++)
                {
                    // Trial 0: the widest difference in every coordinate.
                    a[i] = trial == 0 ? sbyte.MinValue : (sbyte)random.Next(-128, 128);
                    b[i] = trial == 0 ? sbyte.MaxValue : (sbyte)random.Next(-128, 128);
                }
                long expected = 0;
                for (int i = 0; i < length; i++) expected += (a[i] - b[i]) * (a[i] - b[i]);
                Assert.Equal(expected, Kernels.SquaredDistanceBytes(a, b));
                Assert.Equal(expected, Kernels.SquaredDistanceBytes(b, a));
            }
        }
    }

    [Fact]
    public void Rejects_mismatched_lengths()
    {
        Assert.Throws<ArgumentException>(() => Kernels.DotNibbles(new byte[8], new sbyte[15]));
        Assert.Throws<ArgumentException>(() => Kernels.DotBytes(new byte[8], new sbyte[9]));
        Assert.Throws<ArgumentException>(() => Kernels.SquaredDistanceBytes(new sbyte[8], new sbyte[9]));
        var tooLong = new sbyte[Kernels.SquaredDistanceBytesMaxLength + 1];
        Assert.Throws<ArgumentException>(() => Kernels.SquaredDistanceBytes(tooLong, tooLong));
    }
}
