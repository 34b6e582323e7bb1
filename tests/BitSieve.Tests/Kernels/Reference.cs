using System.Numerics;

namespace BitSieve.Tests;

/// <summary>Plain scalar definitions the kernels must agree with.</summary>
internal static class Reference
{
    public static long PopCount(ulong[] bits)
    {
        long sum = 0;
        foreach (ulong w in bits)
        {
            sum += BitOperations.PopCount(w);
        }

        return sum;
    }

    public static long Hamming(ulong[] a, ulong[] b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += BitOperations.PopCount(a[i] ^ b[i]);
        }

        return sum;
    }

    public static long AsymmetricDot(ReadOnlySpan<ulong> code, ReadOnlySpan<ulong> planes, int queryBits)
    {
        int w = code.Length;
        long sum = 0;
        for (int k = 0; k < queryBits; k++)
        {
            for (int i = 0; i < w; i++)
            {
                sum += (long)BitOperations.PopCount(code[i] & planes[(k * w) + i]) << k;
            }
        }

        return sum;
    }

    public static long MultiBitDot(ulong[] codePlanes, int codeBits, ulong[] planes, int queryBits)
    {
        int w = planes.Length / queryBits;
        long sum = 0;
        for (int j = 0; j < codeBits; j++)
        {
            for (int k = 0; k < queryBits; k++)
            {
                for (int i = 0; i < w; i++)
                {
                    sum += (long)BitOperations.PopCount(codePlanes[(j * w) + i] & planes[(k * w) + i]) << (j + k);
                }
            }
        }

        return sum;
    }

    public static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    public static double SquaredDistance(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    public static ulong[] RandomWords(Random random, int length)
    {
        var words = new ulong[length];
        for (int i = 0; i < length; i++)
        {
            words[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        }

        return words;
    }

    public static ulong[] Filled(int length, ulong value)
    {
        var words = new ulong[length];
        Array.Fill(words, value);
        return words;
    }
}
