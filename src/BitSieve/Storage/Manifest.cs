using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BitSieve.Storage;

/// <summary>One column file as the manifest records it.</summary>
/// <param name="File">The file name, inside the collection directory.</param>
/// <param name="Count">Elements in the file.</param>
/// <param name="Checksum">XxHash3 of the file's payload, as in its header.</param>
internal readonly record struct ColumnEntry(string File, long Count, ulong Checksum);

/// <summary>
/// <c>manifest.json</c>, the root of a saved collection: the collection's settings, the centroid, the counts, the
/// column files of one save and the segments of originals, with their checksums. Originals are never rewritten: a save
/// adds a segment for the rows appended since the last one (a compaction writes them all anew). It is written last (tmp file, fsync, rename), so a save becomes
/// visible all at once: a reader sees the previous save or this one, never a mix.
/// Since version 3 its last member is <c>"checksum"</c>: XxHash3 (seed 0) of every byte of the file before that member
/// (<see cref="Seal"/>), so a changed digit anywhere is found on open instead of making every bound unsound. Versions 1
/// and 2 (no checksum) still open; every value is validated whatever the version.
/// </summary>
internal sealed class Manifest
{
    public const string FileName = "manifest.json";
    public const string FormatName = "bitsieve-collection";
    public const int CurrentVersion = 3;

    /// <summary>The first version whose file ends with its checksum.</summary>
    private const int FirstSealedVersion = 3;

    /// <summary>What the checksum member is written as: prefix, 16 lowercase hex digits, suffix (the file's end).</summary>
    private static ReadOnlySpan<byte> SealPrefix => ",\n  \"checksum\": \""u8;
    private static ReadOnlySpan<byte> SealSuffix => "\"\n}"u8;
    private static ReadOnlySpan<byte> BodyEnd => "\n}"u8;

    /// <summary>A manifest holds a centroid of at most 4096 floats; anything far larger is not one.</summary>
    private const long MaxBytes = 16 << 20;

    /// <summary>The column files loaded into memory, with the names they carry in the manifest and in file names.</summary>
    public static readonly IReadOnlyList<(ColumnKind Kind, string Name)> ColumnNames =
    [
        (ColumnKind.Signs, "signs"),
        (ColumnKind.Refine, "refine"),
        (ColumnKind.Factors, "factors"),
        (ColumnKind.Ids, "ids"),
        (ColumnKind.Deleted, "deleted"),
    ];

    /// <summary>The name the segments of originals carry in file names.</summary>
    public const string OriginalsName = "originals";

    /// <summary>Factor columns stored one after another in the <see cref="ColumnKind.Factors"/> file.</summary>
    public const int FactorColumns = 8;

    public required long Generation { get; init; }
    public required long LogSequence { get; init; }
    public required int Dimension { get; init; }
    public required Metric Metric { get; init; }
    public required int Bits { get; init; }
    public required ulong RotationSeed { get; init; }
    public required int TrainingSize { get; init; }
    public required bool Trained { get; init; }
    public required int LiveAtTraining { get; init; }
    public required float[] Centroid { get; init; }

    /// <summary>Σ of the live vectors (as stored) and Σ of their squared norms: the drift check's running sums, so an
    /// open need not read the originals to rebuild them.</summary>
    public required double[] LiveSum { get; init; }
    public required double LiveSumSquares { get; init; }
    public required int Count { get; init; }
    public required int DeletedCount { get; init; }
    public required IReadOnlyDictionary<ColumnKind, ColumnEntry> Columns { get; init; }

    /// <summary>The segments of float32 originals in ordinal order (each <see cref="ColumnEntry.Count"/> is rows × dimension).</summary>
    public required IReadOnlyList<ColumnEntry> Originals { get; init; }

    /// <summary>
    /// The index settings of <see cref="CollectionOptions"/> (type, graph degree, build beam, threshold). Optional
    /// member <c>"index"</c>: a manifest written before graphs has none and reads as the defaults.
    /// </summary>
    public required IndexSettings Index { get; init; }

    /// <summary>
    /// The graph file (<see cref="ColumnKind.Graph"/>, named <c>graph.&lt;generation&gt;.col</c>), or null when the save
    /// has no graph. Optional member <c>"graph"</c>: a BitSieve from before graphs ignores it (the graph is derived from
    /// the columns, so such a build opens the collection as a flat one) — hence no new manifest version.
    /// </summary>
    public ColumnEntry? Graph { get; init; }

    /// <summary>The name the graph file carries in the manifest and in file names.</summary>
    public const string GraphName = "graph";

    public int Words => (Dimension + 63) >> 6;

    /// <summary>The element count a column must have for <see cref="Count"/> ordinals.</summary>
    public long ExpectedCount(ColumnKind kind) => kind switch
    {
        ColumnKind.Signs => ((long)Count + 63) / 64 * 64 * Words * 8, // whole FastScan blocks of bytes
        ColumnKind.Refine => (long)Count * Words * (Bits == 4 ? 32 : 64), // packed T2 code bytes
        ColumnKind.Factors => (long)Count * FactorColumns,
        ColumnKind.Ids => Count,
        ColumnKind.Deleted => ((long)Count + 63) >> 6,
        ColumnKind.Originals => (long)Count * Dimension,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Bytes per element of a column of <paramref name="kind"/>.</summary>
    public static int ElementSize(ColumnKind kind) => kind switch
    {
        ColumnKind.Signs or ColumnKind.Refine => sizeof(byte),
        ColumnKind.Factors or ColumnKind.Originals => sizeof(float),
        ColumnKind.Ids or ColumnKind.Deleted => sizeof(ulong),
        ColumnKind.Graph => sizeof(int),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string ColumnFileName(string name, long generation) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}.{generation:D6}.col");

    public string PathOf(string directory, ColumnKind kind) => Path.Combine(directory, Columns[kind].File);

    /// <summary>Writes the manifest atomically: tmp file, fsync, rename over <c>manifest.json</c>.</summary>
    public void Write(string directory)
    {
        var data = new ManifestData
        {
            Format = FormatName,
            Version = CurrentVersion,
            Generation = Generation,
            LogSequence = LogSequence,
            Dimension = Dimension,
            Metric = MetricName(Metric),
            Bits = Bits,
            RotationSeed = RotationSeed.ToString(CultureInfo.InvariantCulture),
            TrainingSize = TrainingSize,
            Trained = Trained,
            LiveAtTraining = LiveAtTraining,
            Centroid = Centroid,
            LiveSum = LiveSum,
            LiveSumSquares = LiveSumSquares,
            Count = Count,
            DeletedCount = DeletedCount,
            Columns = ColumnNames.ToDictionary(c => c.Name, ManifestColumn? (c) => ToJson(Columns[c.Kind])),
            Originals = [.. Originals.Select(ToJson)],
            Index = new ManifestIndex
            {
                Type = Index.Type.ToString().ToLowerInvariant(),
                Degree = Index.Degree,
                BuildBeam = Index.BuildBeam,
                Threshold = Index.Threshold,
            },
            Graph = Graph is { } graph ? ToJson(graph) : null,
        };
        byte[] json = Seal(JsonSerializer.SerializeToUtf8Bytes(data, ManifestJsonContext.Default.ManifestData));
        string path = Path.Combine(directory, FileName);
        string tmp = path + ".tmp";
        using (var stream = StorageFiles.Current.Create(tmp))
        {
            stream.Write(json);
            StorageFiles.Current.Sync(stream);
        }
        StorageFiles.Current.Replace(tmp, path);
    }

    /// <summary>
    /// Reads and validates <c>manifest.json</c> of <paramref name="directory"/>. A missing manifest is a
    /// <see cref="FileNotFoundException"/>; anything else wrong is a <see cref="CorruptFileException"/> naming it.
    /// </summary>
    public static Manifest Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        byte[] json;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            if (stream.Length > MaxBytes)
                throw Corrupt(path, $"it is {stream.Length} bytes, far larger than a manifest can be.");
            json = new byte[stream.Length];
            stream.ReadExactly(json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"No BitSieve collection in '{directory}': its manifest '{path}' is missing.", path, e);
        }
        catch (EndOfStreamException e)
        {
            throw new CorruptFileException(path, "the file changed while it was read.", e);
        }

        ManifestData? data;
        try
        {
            data = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestData);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new CorruptFileException(path, $"it is not a valid manifest: {e.Message}", e);
        }
        if (data is null) throw Corrupt(path, "it holds no manifest object.");
        return Validate(path, data, json);
    }

    /// <summary>
    /// Appends the checksum member to a manifest serialized without one: the body's closing <c>"\n}"</c> becomes
    /// <c>,\n  "checksum": "&lt;XxHash3 of the bytes before it&gt;"\n}</c>.
    /// </summary>
    internal static byte[] Seal(ReadOnlySpan<byte> body)
    {
        if (!body.EndsWith(BodyEnd)) throw new InvalidOperationException("A manifest body ends with a line holding '}'.");
        var covered = body[..^BodyEnd.Length];
        string checksum = XxHash3.HashToUInt64(covered).ToString("x16", CultureInfo.InvariantCulture);
        return [.. covered, .. SealPrefix, .. Encoding.ASCII.GetBytes(checksum), .. SealSuffix];
    }

    /// <summary>Checks the checksum member that ends a sealed manifest (<see cref="Seal"/>).</summary>
    private static void CheckSeal(string path, ReadOnlySpan<byte> json)
    {
        int sealLength = SealPrefix.Length + 16 + SealSuffix.Length;
        if (json.Length < sealLength || !json.EndsWith(SealSuffix) || !json[^sealLength..].StartsWith(SealPrefix))
            throw Corrupt(path, "it does not end with its checksum (a manifest of version 3 or later always does): it was edited or damaged.");
        var covered = json[..^sealLength];
        var digits = Encoding.ASCII.GetString(json.Slice(json.Length - SealSuffix.Length - 16, 16));
        ulong actual = XxHash3.HashToUInt64(covered);
        if (!ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong stored) || stored != actual)
            throw Corrupt(path, $"its checksum does not match its contents (stored {digits}, computed {actual:x16}): it was edited or damaged.");
    }

    private static Manifest Validate(string path, ManifestData data, ReadOnlySpan<byte> json)
    {
        if (data.Format != FormatName)
            throw Corrupt(path, $"its format is \"{data.Format}\", not \"{FormatName}\": it is not a BitSieve collection manifest.");
        if (data.Version > CurrentVersion)
            throw Corrupt(path, $"it was written by a newer BitSieve (manifest version {data.Version}; this build reads version {CurrentVersion}). Upgrade BitSieve to open it.");
        if (data.Version < 1)
            throw Corrupt(path, $"unsupported manifest version {data.Version}.");
        if (data.Version >= FirstSealedVersion) CheckSeal(path, json);
        else if (data.Checksum is not null)
            throw Corrupt(path, $"it holds a checksum, which no manifest of version {data.Version} has: its version was changed.");
        if (data.Generation < 1)
            throw Corrupt(path, $"generation {data.Generation} is not positive.");
        if (data.LogSequence < 0)
            throw Corrupt(path, $"log sequence {data.LogSequence} is negative.");
        if (data.Dimension is < 2 or > CollectionOptions.MaxDimension)
            throw Corrupt(path, $"dimension {data.Dimension} is outside 2..{CollectionOptions.MaxDimension}.");
        if (!TryParseMetric(data.Metric, out var metric))
            throw Corrupt(path, $"unknown metric \"{data.Metric}\".");
        if (data.Bits is not (4 or 8))
            throw Corrupt(path, $"bits {data.Bits} is neither 4 nor 8.");
        if (!ulong.TryParse(data.RotationSeed, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
            throw Corrupt(path, $"rotation seed \"{data.RotationSeed}\" is not an unsigned 64-bit integer.");
        if (data.TrainingSize < 1)
            throw Corrupt(path, $"training size {data.TrainingSize} is not positive.");
        if (data.Centroid is null || data.Centroid.Length != data.Dimension)
            throw Corrupt(path, $"the centroid has {data.Centroid?.Length ?? 0} components where the dimension is {data.Dimension}.");
        foreach (float c in data.Centroid)
            if (!float.IsFinite(c)) throw Corrupt(path, "the centroid holds a number that is not finite.");
        if (data.LiveSum is null || data.LiveSum.Length != data.Dimension || !data.LiveSum.All(double.IsFinite) || !double.IsFinite(data.LiveSumSquares))
            throw Corrupt(path, "the live sums are missing, of the wrong length, or not finite.");
        if (data.Count < 0 || data.Count > Array.MaxLength / ((data.Dimension + 63) >> 6) / (data.Bits - 1))
            throw Corrupt(path, $"count {data.Count} is impossible.");
        if (data.DeletedCount < 0 || data.DeletedCount > data.Count)
            throw Corrupt(path, $"deleted count {data.DeletedCount} is outside 0..{data.Count}.");
        if (data.LiveAtTraining < 0)
            throw Corrupt(path, $"live count at training {data.LiveAtTraining} is negative.");
        if (data.Columns is null)
            throw Corrupt(path, "it lists no column files.");

        // Version 1 kept all originals in one column file; it reads as one segment.
        var segmentsData = data.Version == 1 && data.Columns.Remove(OriginalsName, out var single) ? [single] : data.Originals;
        if (segmentsData is null)
            throw Corrupt(path, "it lists no segments of originals.");
        var files = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var columns = new Dictionary<ColumnKind, ColumnEntry>();
        foreach (var (kind, name) in ColumnNames)
            columns[kind] = Entry(path, name, name, data.Columns.GetValueOrDefault(name), files, data.Generation);
        var originals = segmentsData.Select((segment, i) => Entry(path, $"{OriginalsName}[{i}]", OriginalsName, segment, files, data.Generation)).ToList();
        var index = ValidateIndex(path, data.Index);
        ColumnEntry? graph = data.Graph is null ? null : Entry(path, GraphName, GraphName, data.Graph, files, data.Generation);

        var manifest = new Manifest
        {
            Generation = data.Generation,
            LogSequence = data.LogSequence,
            Dimension = data.Dimension,
            Metric = metric,
            Bits = data.Bits,
            RotationSeed = seed,
            TrainingSize = data.TrainingSize,
            Trained = data.Trained,
            LiveAtTraining = data.LiveAtTraining,
            Centroid = data.Centroid,
            LiveSum = data.LiveSum!,
            LiveSumSquares = data.LiveSumSquares,
            Count = data.Count,
            DeletedCount = data.DeletedCount,
            Columns = columns,
            Originals = originals,
            Index = index,
            Graph = graph,
        };
        foreach (var (kind, name) in ColumnNames)
        {
            long expected = manifest.ExpectedCount(kind);
            if (columns[kind].Count != expected)
                throw Corrupt(path, $"the \"{name}\" column has {columns[kind].Count} elements where {data.Count} points need {expected}.");
        }
        if (originals.Any(o => o.Count <= 0 || o.Count % data.Dimension != 0) || originals.Sum(o => o.Count) != manifest.ExpectedCount(ColumnKind.Originals))
            throw Corrupt(path, $"its segments of originals hold {originals.Sum(o => o.Count)} floats in all where {data.Count} points need {manifest.ExpectedCount(ColumnKind.Originals)}, or one holds no whole rows.");
        return manifest;
    }

    /// <summary>The index settings, checked as <see cref="CollectionOptions"/> checks them; absent, the defaults.</summary>
    private static IndexSettings ValidateIndex(string path, ManifestIndex? index)
    {
        if (index is null) return IndexSettings.Default;
        if (!Enum.TryParse<IndexType>(index.Type, ignoreCase: true, out var type) || type.ToString().ToLowerInvariant() != index.Type)
            throw Corrupt(path, $"unknown index type \"{index.Type}\".");
        var settings = new IndexSettings(type, index.Degree, index.BuildBeam, index.Threshold);
        try
        {
            settings.ApplyTo(new CollectionOptions { Dimension = 2 }).Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CorruptFileException(path, $"its index settings are out of range: {e.Message}", e);
        }
        return settings;
    }

    /// <summary>
    /// Checks one listed column file: present, named <c>kind.generation.col</c> (a plain file name, so it stays inside
    /// the index folder) for a generation no later than the manifest's, not listed before, with a 16-digit checksum.
    /// </summary>
    private static ColumnEntry Entry(string path, string name, string kindName, ManifestColumn? column, HashSet<string> files, long generation)
    {
        if (column is null)
            throw Corrupt(path, $"the \"{name}\" column file is not listed.");
        if (string.IsNullOrEmpty(column.File) || column.File != Path.GetFileName(column.File) || column.File is "." or ".."
            || column.File.AsSpan().IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || column.File.Contains('\\', StringComparison.Ordinal)
            || column.File == FileName || !files.Add(column.File))
            throw Corrupt(path, $"the \"{name}\" column file name \"{column.File}\" is not a plain, distinct file name.");
        if (!column.File.StartsWith(kindName + ".", StringComparison.Ordinal) || !column.File.EndsWith(".col", StringComparison.Ordinal)
            || !long.TryParse(column.File.AsSpan(kindName.Length + 1, Math.Max(0, column.File.Length - kindName.Length - 5)), NumberStyles.None, CultureInfo.InvariantCulture, out long fileGeneration)
            || fileGeneration < 1 || fileGeneration > generation)
            throw Corrupt(path, $"the \"{name}\" column file name \"{column.File}\" is not \"{kindName}.<generation>.col\" for a generation in 1..{generation}.");
        if (column.Checksum is not { Length: 16 }
            || !ulong.TryParse(column.Checksum, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong checksum))
            throw Corrupt(path, $"the \"{name}\" checksum \"{column.Checksum}\" is not 16 hex digits.");
        return new ColumnEntry(column.File, column.Count, checksum);
    }

    private static ManifestColumn ToJson(ColumnEntry entry) => new()
    {
        File = entry.File,
        Count = entry.Count,
        Checksum = entry.Checksum.ToString("x16", CultureInfo.InvariantCulture),
    };

    private static string MetricName(Metric metric) => metric switch
    {
        Metric.Cosine => "cosine",
        Metric.Dot => "dot",
        Metric.Euclidean => "euclidean",
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    private static bool TryParseMetric(string? name, out Metric metric)
    {
        foreach (var m in Enum.GetValues<Metric>())
        {
            if (MetricName(m) == name)
            {
                metric = m;
                return true;
            }
        }
        metric = default;
        return false;
    }

    private static CorruptFileException Corrupt(string path, string problem) => new(path, problem, null);
}

/// <summary>The index settings a manifest records (<see cref="CollectionOptions"/>' index members).</summary>
internal readonly record struct IndexSettings(IndexType Type, int Degree, int BuildBeam, int Threshold)
{
    /// <summary>The defaults of <see cref="CollectionOptions"/>: what a manifest without settings means.</summary>
    public static IndexSettings Default => Of(new CollectionOptions { Dimension = 2 });

    public static IndexSettings Of(CollectionOptions options) =>
        new(options.Index, options.GraphDegree, options.GraphBuildBeam, options.GraphThreshold);

    public CollectionOptions ApplyTo(CollectionOptions options) =>
        options with { Index = Type, GraphDegree = Degree, GraphBuildBeam = BuildBeam, GraphThreshold = Threshold };
}

/// <summary>The index settings as JSON.</summary>
internal sealed class ManifestIndex
{
    [JsonRequired] public string? Type { get; set; }
    [JsonRequired] public int Degree { get; set; }
    [JsonRequired] public int BuildBeam { get; set; }
    [JsonRequired] public int Threshold { get; set; }
}

/// <summary>The manifest as JSON (every field required, so a missing one is a clear error).</summary>
internal sealed class ManifestData
{
    [JsonRequired] public string? Format { get; set; }
    [JsonRequired] public int Version { get; set; }
    [JsonRequired] public long Generation { get; set; }
    [JsonRequired] public long LogSequence { get; set; }
    [JsonRequired] public int Dimension { get; set; }
    [JsonRequired] public string? Metric { get; set; }
    [JsonRequired] public int Bits { get; set; }
    [JsonRequired] public string? RotationSeed { get; set; }
    [JsonRequired] public int TrainingSize { get; set; }
    [JsonRequired] public bool Trained { get; set; }
    [JsonRequired] public int LiveAtTraining { get; set; }
    [JsonRequired] public float[]? Centroid { get; set; }
    [JsonRequired] public double[]? LiveSum { get; set; }
    [JsonRequired] public double LiveSumSquares { get; set; }
    [JsonRequired] public int Count { get; set; }
    [JsonRequired] public int DeletedCount { get; set; }
    [JsonRequired] public Dictionary<string, ManifestColumn?>? Columns { get; set; }

    /// <summary>The segments of originals (absent in version 1, whose <see cref="Columns"/> list one file of them).</summary>
    public List<ManifestColumn?>? Originals { get; set; }

    /// <summary>The index settings (absent in manifests written before graphs: the defaults).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ManifestIndex? Index { get; set; }

    /// <summary>The graph file, when the save has a graph.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ManifestColumn? Graph { get; set; }

    /// <summary>Version 3 on: the file's checksum, written last by <see cref="Manifest.Seal"/> (null while serializing the body).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Checksum { get; set; }
}

/// <summary>One column file in the JSON manifest.</summary>
internal sealed class ManifestColumn
{
    [JsonRequired] public string? File { get; set; }
    [JsonRequired] public long Count { get; set; }
    [JsonRequired] public string? Checksum { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ManifestData))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
