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
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Codes)]
    [BenchmarkCategory("AsymmetricDotBlock")]
    public void AsymmetricDotBlock_scalar()
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

    [Benchmark(OperationsPerInvoke = Codes)]
    [BenchmarkCategory("AsymmetricDotBlock")]
    public void AsymmetricDotBlock() => Kernels.AsymmetricDotBlock(codes, queryPlanes, QueryBits, results);

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
