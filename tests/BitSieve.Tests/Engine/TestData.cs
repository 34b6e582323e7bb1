using System.Buffers.Binary;

namespace BitSieve.Tests.Engine;

/// <summary>Seeded random vectors, the real MiniLM subset, and recall.</summary>
internal static class TestData
{
    /// <summary>Rows of independent N(0, σ²) components, row-major.</summary>
    public static float[] Gaussian(int rows, int dim, int seed, double sigma = 1)
    {
        var random = new Random(seed);
        var data = new float[rows * dim];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(sigma * Normal(random));
        return data;
    }

    public static double Normal(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A random unit vector.</summary>
    public static float[] UnitVector(int dim, int seed)
    {
        var v = Gaussian(1, dim, seed);
        Normalize(v);
        return v;
    }

    public static void Normalize(Span<float> v)
    {
        double n = 0;
        foreach (var x in v) n += (double)x * x;
        float inv = (float)(1 / Math.Sqrt(n));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
    }

    /// <summary>Gaussian rows shifted by a common offset, so that centring matters.</summary>
    public static float[] Shifted(int rows, int dim, int seed, float shift)
    {
        var data = Gaussian(rows, dim, seed);
        var mean = Gaussian(1, dim, seed + 7919);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++) data[r * dim + j] += shift * mean[j];
        return data;
    }

    public static ulong[] Ids(int count, ulong first = 0)
    {
        var ids = new ulong[count];
        for (int i = 0; i < count; i++) ids[i] = first + (ulong)i;
        return ids;
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>|found ∩ truth| / |truth| by id.</summary>
    public static double Recall(SearchResult found, SearchResult truth)
    {
        if (truth.Hits.Count == 0) return 1;
        var ids = truth.Hits.Select(h => h.Id).ToHashSet();
        return (double)found.Hits.Count(h => ids.Contains(h.Id)) / truth.Hits.Count;
    }

    /// <summary>Rows in the MiniLM fixture: base vectors and queries (384 dimensions).</summary>
    public const int MiniLmBaseRows = 2000, MiniLmQueryRows = 200;

    /// <summary>
    /// The MiniLM fixture, <c>tests/fixtures/docs-minilm-2k</c> in the repository, copied next to the test assembly:
    /// real embeddings of real documentation (the head of the shared docs-minilm set, see its README).
    /// </summary>
    public static string MiniLmFolder()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "fixtures", "docs-minilm-2k");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The MiniLM fixture is missing from {folder}: the test project copies tests/fixtures/docs-minilm-2k there.");
        return folder;
    }

    private static readonly Lazy<(float[] Base, float[] Queries, int[] Truth)> MiniLm = new(() =>
    {
        string folder = MiniLmFolder();
        return (ReadVecs<float>(Path.Combine(folder, "base.fvecs"), MiniLmBaseRows, 384),
                ReadVecs<float>(Path.Combine(folder, "query.fvecs"), MiniLmQueryRows, 384),
                ReadVecs<int>(Path.Combine(folder, "gt100.ivecs"), MiniLmQueryRows, 100));
    });

    /// <summary>The fixture's 2,000 base vectors, 200 queries (384 dimensions) and each query's exact top-100 ordinals over those 2,000.</summary>
    public static (float[] Base, float[] Queries, int[] Truth) MiniLmSubset => MiniLm.Value;

    /// <summary>Reads the first <paramref name="rows"/> rows of a TexMex .fvecs/.ivecs file (int32 dimension, then the values).</summary>
    public static T[] ReadVecs<T>(string path, int rows, int dim) where T : unmanaged
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Real-data file missing: {path}", path);
        var result = new T[rows * dim];
        using var stream = File.OpenRead(path);
        var header = new byte[4];
        var body = new byte[dim * 4];
        for (int r = 0; r < rows; r++)
        {
            stream.ReadExactly(header);
            int d = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (d != dim) throw new InvalidDataException($"{path} row {r} has dimension {d}, expected {dim}.");
            stream.ReadExactly(body);
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(body).CopyTo(result.AsSpan(r * dim, dim));
        }
        return result;
    }
}
