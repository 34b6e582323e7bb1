using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace BitSieve.Embeddings.Tests;

/// <summary>The docs-minilm query texts and reference vectors of the MiniLM fixture (<c>tests/fixtures/docs-minilm-2k</c>).</summary>
internal static class SharedData
{
    /// <summary>
    /// The fixture's folder next to the test assembly, where the test project copies <c>tests/fixtures/docs-minilm-2k</c>:
    /// the first 200 query texts of the shared docs-minilm set and the vectors the model's own package made of them.
    /// </summary>
    public static string MiniLmFolder()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "fixtures", "docs-minilm-2k");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The MiniLM fixture is missing from {folder}: the test project copies tests/fixtures/docs-minilm-2k there.");
        return folder;
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
