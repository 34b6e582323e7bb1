using System.Text.Json;

namespace BitSieve.TestKit;

/// <summary>
/// The real-data fixture <c>tests/fixtures/docs-minilm-2k</c> (its README says how it was made), copied next to the
/// test assembly: all-MiniLM-L6-v2 embeddings of real documentation, the head of the shared docs-minilm set.
/// </summary>
public static class MiniLmFixture
{
    /// <summary>Vector dimension.</summary>
    public const int Dimension = 384;

    /// <summary>Base vectors (rows of <c>base.fvecs</c>, lines of <c>base.jsonl</c>).</summary>
    public const int BaseRows = 2000;

    /// <summary>Query vectors (rows of <c>query.fvecs</c>, lines of <c>query.jsonl</c>), the model package's own reference vectors.</summary>
    public const int QueryRows = 200;

    /// <summary>Ground-truth ordinals per query in <c>gt100.ivecs</c>.</summary>
    public const int TruthWidth = 100;

    private static readonly Lazy<float[]> BaseVectors = new(() => Vecs.Read<float>(FilePath("base.fvecs"), BaseRows, Dimension));
    private static readonly Lazy<float[]> QueryVectors = new(() => Vecs.Read<float>(FilePath("query.fvecs"), QueryRows, Dimension));
    private static readonly Lazy<int[]> GroundTruth = new(() => Vecs.Read<int>(FilePath("gt100.ivecs"), QueryRows, TruthWidth));

    /// <summary>The base vectors, row-major (unit length).</summary>
    public static float[] Base => BaseVectors.Value;

    /// <summary>The query vectors, row-major (unit length, not among the base rows).</summary>
    public static float[] Queries => QueryVectors.Value;

    /// <summary>Per query, the base rows of its exact top 100 by inner product, best first, ties by the lower row.</summary>
    public static int[] Truth => GroundTruth.Value;

    /// <summary>The full path of one of the fixture's files (<c>base.fvecs</c>, <c>base.jsonl</c>, <c>query.fvecs</c>, <c>query.jsonl</c>, <c>gt100.ivecs</c>).</summary>
    /// <exception cref="FileNotFoundException">The file was not copied next to the test assembly.</exception>
    public static string FilePath(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "docs-minilm-2k", name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The MiniLM fixture file {path} is missing: BitSieve.TestKit copies tests/fixtures/docs-minilm-2k there.", path);
        return path;
    }

    /// <summary>The <c>text</c> field of the first <paramref name="count"/> lines of <c>base.jsonl</c> or <c>query.jsonl</c>.</summary>
    public static string[] Texts(string file, int count) =>
        File.ReadLines(FilePath(file))
            .Take(count)
            .Select(line =>
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.GetProperty("text").GetString()!;
            })
            .ToArray();
}
