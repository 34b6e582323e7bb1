using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve.Search.Graph;

/// <summary>
/// The bulk build's compact copy of the points, which steers its insertion searches: each point is rotated (the
/// quantizer's random rotation, so that no coordinate's range stands out), the midrange of each rotated coordinate over
/// all points is taken off, and every coordinate is rounded to a signed 8-bit multiple of one step, the same for all
/// coordinates. A squared distance is then step² · Σ (aᵢ − bᵢ)², exact up to the rounding, from a row of a quarter of
/// the float32 original's bytes (384 B at 384 dimensions, in whole cache lines). The rows live in native memory for
/// the build only.
/// </summary>
internal sealed unsafe class BuildCodes : IDisposable
{
    private const int Line = 64;

    private sbyte* _codes;
    private readonly int _stride;
    private readonly float _squaredStep;

    private BuildCodes(int count, int dimension, float step)
    {
        Count = count;
        Step = step;
        _stride = (dimension + Line - 1) / Line * Line;
        _squaredStep = step * step;
        // Zeroed, so the padding after each row's coordinates adds nothing to a distance.
        _codes = (sbyte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)_stride, Line);
        NativeMemory.Clear(_codes, (nuint)count * (nuint)_stride);
    }

    /// <summary>Rows: the ordinals [0, Count) of the columns they were made from.</summary>
    public int Count { get; }

    /// <summary>
    /// The size of one code step. Each coordinate is rounded by at most half of it, so a distance's square root from the
    /// codes lies within Step·√dimension of the exact one.
    /// </summary>
    public float Step { get; }

    /// <summary>Encodes the float32 originals of every ordinal of <paramref name="columns"/> on <paramref name="threads"/> threads.</summary>
    public static BuildCodes Encode(VectorColumns columns, RandomRotation rotation, int threads)
    {
        int n = columns.Count, d = columns.Dimension;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        int per = (n + threads - 1) / threads;
        // Pass 1: the range of each rotated coordinate.
        var low = new float[d];
        var high = new float[d];
        low.AsSpan().Fill(float.PositiveInfinity);
        high.AsSpan().Fill(float.NegativeInfinity);
        Parallel.For(0, threads, options, t =>
        {
            var rotated = new float[d];
            var min = new float[d];
            var max = new float[d];
            min.AsSpan().Fill(float.PositiveInfinity);
            max.AsSpan().Fill(float.NegativeInfinity);
            for (int ord = t * per; ord < Math.Min(n, (t + 1) * per); ord++)
            {
                rotation.Apply(columns.Originals.Row(ord), rotated);
                for (int j = 0; j < d; j++)
                {
                    min[j] = Math.Min(min[j], rotated[j]);
                    max[j] = Math.Max(max[j], rotated[j]);
                }
            }
            lock (low)
                for (int j = 0; j < d; j++)
                {
                    low[j] = Math.Min(low[j], min[j]);
                    high[j] = Math.Max(high[j], max[j]);
                }
        });
        var middle = new float[d];
        float halfRange = 0;
        for (int j = 0; j < d && n > 0; j++)
        {
            middle[j] = (low[j] + high[j]) / 2;
            halfRange = Math.Max(halfRange, (high[j] - low[j]) / 2);
        }
        // 127 steps each side of the middle; points that are all equal code as zeros at any step.
        float step = halfRange > 0 ? halfRange / sbyte.MaxValue : 1;
        var codes = new BuildCodes(n, d, step);
        // Pass 2: the codes.
        Parallel.For(0, threads, options, t =>
        {
            var rotated = new float[d];
            for (int ord = t * per; ord < Math.Min(n, (t + 1) * per); ord++)
            {
                rotation.Apply(columns.Originals.Row(ord), rotated);
                var row = codes.Row(ord);
                for (int j = 0; j < d; j++) row[j] = (sbyte)Math.Clamp(MathF.Round((rotated[j] - middle[j]) / step), -sbyte.MaxValue, sbyte.MaxValue);
            }
        });
        return codes;
    }

    /// <summary>The squared Euclidean distance between two rows' points, as their codes give it.</summary>
    public float Distance(int a, int b) =>
        _squaredStep * Kernels.SquaredDistanceBytesCore(ref *(_codes + (nint)a * _stride), ref *(_codes + (nint)b * _stride), _stride);

    /// <summary>Asks for a row's cache lines ahead of its use.</summary>
    public void Prefetch(int node)
    {
        if (!Sse.IsSupported) return;
        sbyte* at = _codes + (nint)node * _stride;
        for (int offset = 0; offset < _stride; offset += Line) Sse.Prefetch0(at + offset);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_codes);
        _codes = null;
    }

    private Span<sbyte> Row(int ordinal) => new(_codes + (nint)ordinal * _stride, _stride);
}
