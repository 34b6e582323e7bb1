using Xunit.Abstractions;
using BitSieve.Quantization;
using BitSieve.Search;

namespace BitSieve.Tests.Engine;

/// <summary>
/// The T1 and T2 estimators of the score and their error bounds, evaluated from the stored codes and factors by the
/// formulas of the design (RaBitQ and extended RaBitQ), against exact scores computed in double.
/// The codes are decoded bit by bit here (x̄ from the sign plane, ȳ from the T2 code bytes, ũ from the
/// query planes), so the test also checks that the integer kernels compute the same products.
/// </summary>
public sealed class EstimatorBoundTests(ITestOutputHelper output)
{
    private const double Epsilon0 = 1.96;

    public static TheoryData<string, int, int> Cases => new()
    {
        { "gaussian", 128, 4 },
        { "gaussian", 128, 8 },
        { "gaussian", 384, 4 },
        { "gaussian", 1000, 4 },
        { "gaussian", 1000, 8 },
        { "minilm", 384, 4 },
        { "minilm", 384, 8 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void True_scores_fall_inside_the_bounds_at_the_stated_rate(string source, int dim, int bits)
    {
        var s = Measure(source, dim, bits);
        output.WriteLine($"{source} d={dim} B={bits}: {s}");
        double stated = 2 * Confidence.NormalCdf(Epsilon0) - 1;
        Assert.InRange(stated, 0.949, 0.951);
        Assert.True(s.CoverT1 >= stated - 0.02, $"{source} d={dim} B={bits}: T1 coverage {s.CoverT1:F4} < {stated:F4} − 0.02 over {s.Pairs} pairs");
        Assert.True(s.CoverT2 >= stated - 0.02, $"{source} d={dim} B={bits}: T2 coverage {s.CoverT2:F4} < {stated:F4} − 0.02 over {s.Pairs} pairs");
        // Not absurdly loose either: a bound that always holds would cover every pair.
        Assert.True(s.CoverT1 < 0.9995, $"{source} d={dim}: T1 covers {s.CoverT1:F4}, the bound is far looser than stated");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Deterministic_intervals_always_contain_the_true_score(string source, int dim, int bits)
    {
        var s = Measure(source, dim, bits);
        Assert.True(s.DeterministicMissesT1 == 0, $"{source} d={dim} B={bits}: {s.DeterministicMissesT1} of {s.Pairs} T1 exact-mode intervals miss; worst {s.WorstT1}");
        Assert.True(s.DeterministicMissesT2 == 0, $"{source} d={dim} B={bits}: {s.DeterministicMissesT2} of {s.Pairs} T2 exact-mode intervals miss; worst {s.WorstT2}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void T2_intervals_are_tighter_than_T1(string source, int dim, int bits)
    {
        var s = Measure(source, dim, bits);
        double ratio = s.MeanWidthT1 / s.MeanWidthT2;
        double floor = bits == 4 ? 4 : 16;
        Assert.True(ratio >= floor, $"{source} d={dim} B={bits}: mean width T1/T2 = {ratio:F2} < {floor}");
    }

    [Fact]
    public void Kernel_products_match_the_decoded_codes()
    {
        // Measure asserts this for every pair; one cheap case keeps the claim visible on its own.
        var s = Measure("gaussian", 128, 4);
        Assert.True(s.Pairs > 0);
    }

    [Theory]
    [InlineData(0.975, 1.959964)]
    [InlineData(0.5, 0)]
    [InlineData(0.995, 2.575829)]
    public void Normal_quantile_is_accurate(double p, double expected) =>
        Assert.Equal(expected, Confidence.NormalQuantile(p), 5);

    [Fact]
    public void Recall_target_maps_to_the_two_sided_quantile()
    {
        Assert.Equal(Confidence.NormalQuantile(0.9975), Confidence.Epsilon(0.995), 12);
        Assert.True(Confidence.Epsilon(0.999) > Confidence.Epsilon(0.99));
    }

    private sealed record Stats(int Pairs, double CoverT1, double CoverT2, int DeterministicMissesT1, int DeterministicMissesT2,
        string WorstT1, string WorstT2, double MeanWidthT1, double MeanWidthT2);

    private static readonly Dictionary<(string, int, int), Stats> Cache = [];

    private static Stats Measure(string source, int dim, int bits)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue((source, dim, bits), out var stats))
                Cache[(source, dim, bits)] = stats = Compute(source, dim, bits);
            return stats;
        }
    }

    private static Stats Compute(string source, int dim, int bits)
    {
        float[] data, queries;
        int n, m;
        Metric metric;
        if (source == "minilm")
        {
            n = 2000;
            m = 50;
            data = MiniLmFixture.Base[..(n * dim)];
            queries = MiniLmFixture.Queries[..(m * dim)];
            metric = Metric.Cosine;
        }
        else
        {
            n = dim >= 1000 ? 1000 : 2000;
            m = dim >= 1000 ? 30 : 50;
            data = TestData.Shifted(n, dim, seed: 11 * dim + bits, shift: 0.5f);
            queries = TestData.Shifted(m, dim, seed: 13 * dim + bits, shift: 0.5f);
            metric = dim == 384 ? Metric.Euclidean : Metric.Dot;
        }

        var centroid = new float[dim];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < dim; j++) centroid[j] += data[r * dim + j] / n;
        var quantizer = new Quantizer(dim, metric, bits, seed: 2024, centroid);
        int words = quantizer.Words, top = quantizer.Levels - 1, half = words * 32;
        double sqrtD = Math.Sqrt(dim);

        // Decode every vector: x̄± ∈ {±1}ᵈ and ȳ ∈ {±(m + ½)}ᵈ.
        var signs = new float[n * dim];
        var grid = new float[n * dim];
        var codes = new ulong[n * words];
        var factors = new VectorFactors[n];
        var refine = new byte[n * quantizer.RefineBytes];
        for (int r = 0; r < n; r++)
        {
            var sign = codes.AsSpan(r * words, words);
            var codeBytes = refine.AsSpan(r * quantizer.RefineBytes, quantizer.RefineBytes);
            quantizer.Encode(data.AsSpan(r * dim, dim), sign, codeBytes, out factors[r]);
            for (int i = 0; i < dim; i++)
            {
                bool positive = Bit(sign, i);
                int code;
                code = bits == 8 ? codeBytes[i] : i < half ? codeBytes[i] & 0x0F : codeBytes[i - half] >> 4;
                Assert.Equal(positive, code > top); // the T2 code's top bit is the sign
                int level = positive ? code - (top + 1) : top - code;
                signs[r * dim + i] = positive ? 1 : -1;
                grid[r * dim + i] = positive ? level + 0.5f : -(level + 0.5f);
            }
        }

        int pairs = 0, inside1 = 0, inside2 = 0, miss1 = 0, miss2 = 0;
        double width1 = 0, width2 = 0, worst1 = 0, worst2 = 0;
        string worstText1 = "none", worstText2 = "none";
        for (int qi = 0; qi < m; qi++)
        {
            var q = queries.AsSpan(qi * dim, dim).ToArray();
            if (metric == Metric.Cosine) TestData.Normalize(q);
            var eq = quantizer.Prepare(q);
            var u1 = Decode(eq.T1, dim, words);
            var u2 = eq.T2.Values.Take(dim).Select(v => eq.T2.Delta * v).ToArray();
            double uNorm = eq.Norm;
            for (int r = 0; r < n; r++)
            {
                var x = data.AsSpan(r * dim, dim);
                var f = factors[r];
                double truth = TrueScore(metric, x, q);
                double offset = f.Beta + eq.Gamma;

                // T1: √D·⟨x̄, ũ⟩ from the decoded codes, and the same from the kernel's popcounts.
                double raw1 = TestData.Dot(signs.AsSpan(r * dim, dim), u1);
                long dots = Kernels.AsymmetricDot(codes.AsSpan(r * words, words), eq.T1.Planes, EncodedQuery.T1Bits);
                double kernelRaw1 = 2.0 * eq.T1.Delta * dots + eq.T1.Lo * (double)f.Balance - (double)eq.T1.Delta * eq.T1.Sum;
                Assert.True(Math.Abs(kernelRaw1 - raw1) <= 1e-4 * (1 + Math.Abs(eq.T1.Lo) * dim), $"T1 kernel product {kernelRaw1} ≠ decoded {raw1}");

                // Probabilistic T1: est = αR⟨x̄,ũ⟩/⟨x̄,o⟩ + β + γ, half-width ε₀·αR/⟨x̄,o⟩·(√(1−f²)/√(D−1)·‖u‖ + ‖e‖/√D).
                double est1 = f.RInv1 * raw1 + offset;
                double w1 = Epsilon0 * (f.E1 * uNorm + f.RInv1 * eq.T1.ErrL2);
                if (Math.Abs(truth - est1) <= w1) inside1++;
                width1 += w1;

                double raw2 = TestData.Dot(grid.AsSpan(r * dim, dim), u2);
                var row = refine.AsSpan(r * quantizer.RefineBytes, quantizer.RefineBytes);
                long k2 = bits == 8 ? Kernels.DotBytes(row, eq.T2.Values) : Kernels.DotNibbles(row, eq.T2.Values);
                double kernelRaw2 = eq.T2.Delta * (k2 - ((1 << bits) - 1) / 2.0 * eq.T2.Sum);
                Assert.True(Math.Abs(kernelRaw2 - raw2) <= 1e-3 * (1 + Math.Abs(raw2)), $"T2 kernel product {kernelRaw2} ≠ decoded {raw2}");
                double yNorm = f.YNorm * sqrtD;
                double est2 = f.RInv2 * raw2 + offset;
                double w2 = Epsilon0 * (f.E2 * uNorm + f.RInv2 * f.YNorm * eq.T2.ErrL2);
                if (Math.Abs(truth - est2) <= w2) inside2++;
                width2 += w2;

                // Deterministic: o′ = f·v + o⊥ with v the unit code direction, ‖o⊥‖ = √(1−f²), o⊥ ⟂ v;
                // ⟨v, u⟩ is known within δ from the quantized query, so |⟨o′,u⟩ − f·a| ≤ fδ + √(1−f²)·√(‖u‖² − (|a|−δ)²₊).
                double slack = 2e-5 * (f.Scale * uNorm + Math.Abs(offset)) + 1e-6;
                double excess1 = Excess(truth, f.Scale, f.Scale / (f.RInv1 * sqrtD), raw1 / sqrtD, eq.T1.ErrL1 / sqrtD, uNorm, offset) - slack;
                if (excess1 > 0)
                {
                    miss1++;
                    if (excess1 > worst1) (worst1, worstText1) = (excess1, $"query {qi}, vector {r}: outside by {excess1:G4}");
                }
                double excess2 = Excess(truth, f.Scale, f.Scale / (f.RInv2 * yNorm), raw2 / yNorm, eq.T2.ErrL2, uNorm, offset) - slack;
                if (excess2 > 0)
                {
                    miss2++;
                    if (excess2 > worst2) (worst2, worstText2) = (excess2, $"query {qi}, vector {r}: outside by {excess2:G4}");
                }
                pairs++;
            }
        }
        return new Stats(pairs, (double)inside1 / pairs, (double)inside2 / pairs, miss1, miss2, worstText1, worstText2, width1 / pairs, width2 / pairs);
    }

    /// <summary>How far the true score lies outside the deterministic interval (≤ 0 when inside).</summary>
    private static double Excess(double truth, double scale, double f, double a, double delta, double uNorm, double offset)
    {
        f = Math.Min(1, f);
        double known = Math.Max(0, Math.Abs(a) - delta);
        double half = scale * (f * delta + Math.Sqrt(Math.Max(0, 1 - f * f)) * Math.Sqrt(Math.Max(0, uNorm * uNorm - known * known)));
        double center = scale * f * a + offset;
        return Math.Abs(truth - center) - half;
    }

    private static double TrueScore(Metric metric, ReadOnlySpan<float> x, ReadOnlySpan<float> q)
    {
        if (metric != Metric.Euclidean) return TestData.Dot(x, q);
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += ((double)x[i] - q[i]) * ((double)x[i] - q[i]);
        return -s;
    }

    /// <summary>ũᵢ = Lo + Δ·Σₖ 2ᵏ·planeₖ[i].</summary>
    private static float[] Decode(QueryPlanes planes, int dim, int words)
    {
        var u = new float[dim];
        for (int i = 0; i < dim; i++)
        {
            int level = 0;
            for (int k = 0; k < planes.Bits; k++) if (Bit(planes.Planes.AsSpan(k * words, words), i)) level |= 1 << k;
            u[i] = planes.Lo + planes.Delta * level;
        }
        return u;
    }

    private static bool Bit(ReadOnlySpan<ulong> plane, int i) => (plane[i >> 6] & (1UL << (i & 63))) != 0;
}
