using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace BitSieve.Embeddings.Tests;

/// <summary>The docs-minilm texts and reference vectors in <c>shared/data/docs-minilm</c>, next to the repository.</summary>
internal static class SharedData
{
    /// <summary>
    /// Walks up from the test's base directory to a <c>shared/data/docs-minilm</c>, or to the folder holding BitSieve.sln
    /// and then <c>../shared</c>. Missing data is a failure, not a skip: CI has it at the same place.
    /// </summary>
    public static string MiniLmFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "docs-minilm");
            if (Directory.Exists(candidate)) return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "BitSieve.sln")))
            {
                candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "docs-minilm"));
                if (Directory.Exists(candidate)) return candidate;
                throw new DirectoryNotFoundException($"The reference-vector tests need {candidate} (query.jsonl, query.fvecs) next to the repository.");
            }
        }
        throw new DirectoryNotFoundException($"No shared/data/docs-minilm found above {AppContext.BaseDirectory}; the reference-vector tests need it.");
    }

    /// <summary>The "text" field of the first <paramref name="count"/> lines of a .jsonl file.</summary>
    public static string[] Texts(string file, int count) =>
        File.ReadLines(Path.Combine(MiniLmFolder(), file))
            .Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!)
            .ToArray();

    /// <summary>The first <paramref name="rows"/> rows of a TexMex .fvecs file (int32 dimension, then the floats).</summary>
    public static float[][] Fvecs(string file, int rows)
    {
        using var stream = File.OpenRead(Path.Combine(MiniLmFolder(), file));
        var header = new byte[4];
        var result = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            stream.ReadExactly(header);
            int dim = BinaryPrimitives.ReadInt32LittleEndian(header);
            var body = new byte[dim * sizeof(float)];
            stream.ReadExactly(body);
            result[r] = MemoryMarshal.Cast<byte, float>(body).ToArray();
        }
        return result;
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    public static double Norm(ReadOnlySpan<float> a)
    {
        double s = 0;
        foreach (var x in a) s += (double)x * x;
        return Math.Sqrt(s);
    }
}
