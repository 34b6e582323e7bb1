using System.Numerics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace BitSieve.Benchmarks;

/// <summary>
/// The engine's hot kernels at typical sizes (384 dimensions: W = 6 words), each against a scalar popcount
/// baseline measured in the same run. Run the SIMD tiers with DOTNET_EnableAVX512=0 / DOTNET_EnableAVX2=0.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class KernelBenchmarks
{
    private const int Words = 6;
    private const int Codes = 1024;
    private const int QueryBits = 4;

    private ulong[] codes = [];
    private ulong[] queryPlanes = [];
    private ulong[] codePlanes3 = [];
    private ulong[] queryPlanes8 = [];
    private float[] a = [];
    private float[] b = [];
    private int[] results = [];
    private byte[] fastScanBlocks = [];
    private byte[] fastScanTables = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        codes = RandomWords(random, Codes * Words);
        queryPlanes = RandomWords(random, QueryBits * Words);
        codePlanes3 = RandomWords(random, 3 * Words);
        queryPlanes8 = RandomWords(random, 8 * Words);
        a = new float[384];
        b = new float[384];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.NextSingle() - 0.5f;
            b[i] = random.NextSingle() - 0.5f;
        }

        results = new int[Codes];
        fastScanBlocks = new byte[Codes * Words * 8];
        random.NextBytes(fastScanBlocks);
        fastScanTables = new byte[2 * Words * 8 * 64];
        for (int i = 0; i < fastScanTables.Length; i++) fastScanTables[i] = (byte)random.Next(61);
    }

    /// <summary>The T1 product of 1,024 row-major codes with a 4-bit query by scalar popcounts: the baseline.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Codes)]
    [BenchmarkCategory("T1")]
    public void T1_scalar_popcount()
    {
        for (int i = 0; i < Codes; i++)
        {
            long sum = 0;
            for (int k = 0; k < QueryBits; k++)
            {
                long plane = 0;
                for (int w = 0; w < Words; w++)
                {
                    plane += BitOperations.PopCount(codes[(i * Words) + w] & queryPlanes[(k * Words) + w]);
                }

                sum += plane << k;
            }

            results[i] = (int)sum;
        }
    }

    /// <summary>The same product by FastScan table look-ups, 64 codes per block.</summary>
    [Benchmark(OperationsPerInvoke = Codes)]
    [BenchmarkCategory("T1")]
    public void T1_FastScan()
    {
        int blockBytes = Words * 8 * Kernels.FastScanCodes;
        for (int b = 0; b < Codes / Kernels.FastScanCodes; b++)
            Kernels.FastScan(fastScanBlocks.AsSpan(b * blockBytes, blockBytes), fastScanTables, results.AsSpan(b * Kernels.FastScanCodes, Kernels.FastScanCodes));
    }

    [Benchmark]
    [BenchmarkCategory("AsymmetricDot")]
    public long AsymmetricDot_6x8() => Kernels.AsymmetricDot(codes.AsSpan(0, Words), queryPlanes8, 8);

    [Benchmark]
    [BenchmarkCategory("MultiBitDot")]
    public long MultiBitDot_3x8() => Kernels.MultiBitDot(codePlanes3, 3, queryPlanes8, 8);

    [Benchmark]
    [BenchmarkCategory("Float")]
    public float Dot_384() => Kernels.Dot(a, b);

    [Benchmark]
    [BenchmarkCategory("Float")]
    public float SquaredDistance_384() => Kernels.SquaredDistance(a, b);

    private static ulong[] RandomWords(Random random, int length)
    {
        var words = new ulong[length];
        for (int i = 0; i < length; i++)
        {
            words[i] = (ulong)random.NextInt64();
        }

        return words;
    }
}
