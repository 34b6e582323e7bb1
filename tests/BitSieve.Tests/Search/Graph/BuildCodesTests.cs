using BitSieve.Quantization;
using BitSieve.Search.Graph;
using BitSieve.Storage;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// The bulk build's 8-bit codes on the real fixture (docs-minilm-2k): their distances against exact float32 ones, by the
/// rounding bound and by the neighbours they rank first.
/// </summary>
public sealed class BuildCodesTests
{
    private const int Dim = MiniLmFixture.Dimension;

    private static VectorColumns Columns(float[] vectors)
    {
        var columns = new VectorColumns(Dim, Dim / 64, Dim / 2, new OriginalStore(Dim));
        for (int r = 0; r < vectors.Length / Dim; r++) columns.Append((ulong)r, vectors.AsSpan(r * Dim, Dim));
        return columns;
    }

    private static float Exact(VectorColumns columns, int a, int b) => Kernels.SquaredDistance(columns.Originals.Row(a), columns.Originals.Row(b));

    [Fact]
    public void Distances_lie_within_the_rounding_bound_of_the_exact_ones()
    {
        var columns = Columns(MiniLmFixture.Base);
        using var codes = BuildCodes.Encode(columns, new RandomRotation(Dim, 7), threads: 2);
        Assert.Equal(MiniLmFixture.BaseRows, codes.Count);
        // Each coordinate moves by at most Step / 2 (and the rotation by float rounding), so ‖â − b̂‖ is within Step·√d of ‖a − b‖.
        double bound = codes.Step * Math.Sqrt(Dim) + 1e-4;
        var random = new Random(11);
        double worst = 0;
        for (int trial = 0; trial < 5_000; trial++)
        {
            int a = random.Next(codes.Count), b = random.Next(codes.Count);
            double error = Math.Abs(Math.Sqrt(codes.Distance(a, b)) - Math.Sqrt(Exact(columns, a, b)));
            worst = Math.Max(worst, error);
        }
        Assert.True(worst <= bound, $"largest error of a distance's square root {worst:G4} against the bound {bound:G4}");
        Assert.Equal(0f, codes.Distance(5, 5));
    }

    [Fact]
    public void The_nearest_neighbours_by_codes_are_those_by_float32()
    {
        var columns = Columns(MiniLmFixture.Base);
        using var codes = BuildCodes.Encode(columns, new RandomRotation(Dim, 7), threads: 1);
        const int K = 10, Points = 100;
        double found = 0;
        for (int p = 0; p < Points; p++)
        {
            int point = p * (codes.Count / Points);
            var others = Enumerable.Range(0, codes.Count).Where(o => o != point).ToArray();
            var exact = others.OrderBy(o => Exact(columns, point, o)).Take(K).ToHashSet();
            found += others.OrderBy(o => codes.Distance(point, o)).Take(K).Count(exact.Contains);
        }
        double recall = found / (K * Points);
        Assert.True(recall >= 0.97, $"recall@10 of the codes' neighbours against float32: {recall:F4}");
    }

    [Fact]
    public void Points_that_are_all_equal_are_at_distance_zero()
    {
        var vectors = new float[3 * Dim];
        for (int i = 0; i < vectors.Length; i++) vectors[i] = 0.25f;
        using var codes = BuildCodes.Encode(Columns(vectors), new RandomRotation(Dim, 7), threads: 2);
        Assert.Equal(0f, codes.Distance(0, 2));
        Assert.Equal(0f, codes.Distance(1, 2));
    }
}
