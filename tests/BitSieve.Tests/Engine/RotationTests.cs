using BitSieve.Quantization;
using CsCheck;

namespace BitSieve.Tests.Engine;

public sealed class RotationTests
{
    public static TheoryData<int> Dimensions => [2, 3, 5, 64, 100, 384, 385, 1000, 1536, 4096];

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void Preserves_norms_and_inner_products(int dim)
    {
        var rotation = new RandomRotation(dim, seed: 12345);
        var rows = TestData.Gaussian(6, dim, seed: dim);
        var rotated = new float[rows.Length];
        for (int r = 0; r < 6; r++) rotation.Apply(rows.AsSpan(r * dim, dim), rotated.AsSpan(r * dim, dim));

        for (int a = 0; a < 6; a++)
        {
            var x = rows.AsSpan(a * dim, dim);
            var rx = rotated.AsSpan(a * dim, dim);
            double norm = Math.Sqrt(TestData.Dot(x, x)), rotatedNorm = Math.Sqrt(TestData.Dot(rx, rx));
            Assert.True(Math.Abs(rotatedNorm - norm) <= 1e-5 * norm, $"d={dim}: norm {norm} became {rotatedNorm}");
            for (int b = a + 1; b < 6; b++)
            {
                var y = rows.AsSpan(b * dim, dim);
                double dot = TestData.Dot(x, y), rotatedDot = TestData.Dot(rx, rotated.AsSpan(b * dim, dim));
                double scale = norm * Math.Sqrt(TestData.Dot(y, y));
                Assert.True(Math.Abs(rotatedDot - dot) <= 1e-5 * scale, $"d={dim}: ⟨x,y⟩ {dot} became {rotatedDot}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void Maps_the_basis_to_an_orthonormal_set(int dim)
    {
        if (dim > 400) return; // larger Gram matrices are slow; inner products are covered above
        var rotation = new RandomRotation(dim, seed: 7);
        var images = new float[dim * dim];
        var e = new float[dim];
        for (int i = 0; i < dim; i++)
        {
            e.AsSpan().Clear();
            e[i] = 1;
            rotation.Apply(e, images.AsSpan(i * dim, dim));
        }
        for (int i = 0; i < dim; i += Math.Max(1, dim / 40))
            for (int j = 0; j < dim; j++)
            {
                double dot = TestData.Dot(images.AsSpan(i * dim, dim), images.AsSpan(j * dim, dim));
                Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) <= 1e-5, $"d={dim}: ⟨Re{i}, Re{j}⟩ = {dot}");
            }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(384)]
    [InlineData(1536)]
    public void Is_deterministic_by_seed_and_differs_between_seeds(int dim)
    {
        var x = TestData.Gaussian(1, dim, seed: 99);
        float[] Rotate(ulong seed)
        {
            var y = new float[dim];
            new RandomRotation(dim, seed).Apply(x, y);
            return y;
        }

        Assert.Equal(Rotate(42), Rotate(42));
        var other = Rotate(43);
        var first = Rotate(42);
        double distance = Math.Sqrt(first.Zip(other, (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.True(distance > 1e-3 * Math.Sqrt(TestData.Dot(x, x)), $"seeds 42 and 43 rotate x almost identically (distance {distance})");
    }

    [Fact]
    public void Leaves_its_input_untouched()
    {
        const int dim = 385;
        var x = TestData.Gaussian(1, dim, seed: 5);
        var copy = (float[])x.Clone();
        var y = new float[dim];
        new RandomRotation(dim, 1).Apply(x, y);
        Assert.Equal(copy, x);
    }

    [Fact]
    public void Any_dimension_and_seed_preserves_the_norm()
    {
        Gen.Select(Gen.Int[2, 700], Gen.ULong, Gen.Int).Sample((dim, seed, dataSeed) =>
        {
            var x = TestData.Gaussian(1, dim, dataSeed);
            var y = new float[dim];
            new RandomRotation(dim, seed).Apply(x, y);
            double before = Math.Sqrt(TestData.Dot(x, x)), after = Math.Sqrt(TestData.Dot(y, y));
            return Math.Abs(after - before) <= 1e-5 * before;
        }, iter: 200);
    }
}

