using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// Which weight-constant matrix products of a model run in int8; the rest stay float32. Either every candidate layer
/// (<see cref="AllLayers"/>: the uniform int8 baseline) or a measured list (<c>bitsieve model plan</c>), optionally with
/// the activation maxima its layers are smoothed by before they are quantized.
/// </summary>
/// <param name="Layers">Node names of the layers in int8, sorted ordinally; empty with <see cref="AllLayers"/>.</param>
/// <param name="AllLayers">Every candidate layer of whatever model it is applied to.</param>
internal sealed record QuantizationPlan(IReadOnlyList<string> Layers, bool AllLayers)
{
    /// <summary>Every weight-constant MatMul/Gemm in int8.</summary>
    public static QuantizationPlan Uniform { get; } = new([], AllLayers: true);

    /// <summary>
    /// Layer name → the largest |X_k| of each channel of its input on calibration text: the layers smoothed before they
    /// are quantized (<see cref="Int8Rewriter"/>); null or empty: none.
    /// </summary>
    public IReadOnlyDictionary<string, float[]>? Smoothing { get; private init; }

    /// <summary>
    /// Exactly <paramref name="layers"/> in int8 (order and duplicates do not matter), those <paramref name="smoothing"/>
    /// names smoothed by it (entries for layers not in the plan are dropped).
    /// </summary>
    public static QuantizationPlan Of(IEnumerable<string> layers, IReadOnlyDictionary<string, float[]>? smoothing = null)
    {
        var sorted = layers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var kept = smoothing is null ? null : sorted.Where(smoothing.ContainsKey).ToDictionary(l => l, l => smoothing[l], StringComparer.Ordinal);
        return new(sorted, AllLayers: false) { Smoothing = kept is { Count: > 0 } ? kept : null };
    }

    /// <summary>
    /// Short name of the plan for identities and file names: <c>all</c>, or the first 16 hex digits of the XxHash128 of
    /// the sorted layer names, one per line, then, for a smoothed plan, each smoothed layer's name and its maxima's
    /// float32 bytes, little-endian (so a smoothed plan never shares a key, a cached model or cached vectors with an
    /// unsmoothed one).
    /// </summary>
    public string Key => AllLayers ? "all" : Convert.ToHexStringLower(XxHash128.Hash(KeyBytes()))[..16];

    private byte[] KeyBytes()
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(string.Join('\n', Layers)));
        if (Smoothing is null) return [.. bytes];
        foreach (string layer in Smoothing.Keys.Order(StringComparer.Ordinal))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes("\n\n" + layer + "\n"));
            bytes.AddRange(LittleEndianFloats.ToBytes(Smoothing[layer]));
        }
        return [.. bytes];
    }

    /// <summary>The layer names this plan puts in int8 among <paramref name="candidates"/>.</summary>
    public IReadOnlyCollection<string> Resolve(IReadOnlyList<WeightLayer> candidates) =>
        AllLayers ? candidates.Select(c => c.Name).ToArray() : Layers;
}

/// <summary>
/// A plan file as <c>bitsieve model plan</c> writes it: the model it was measured on, the target, the layers chosen and
/// what the whole plan measured on the held-out calibration text.
/// </summary>
internal sealed record PlanFile
{
    /// <summary>Model name (<c>minilm</c>).</summary>
    public required string Model { get; init; }

    /// <summary>Content hash of the model and tokenizer bytes it was measured on; a plan for other bytes is refused.</summary>
    public required string SourceHash { get; init; }

    /// <summary>Mean cosine to float32 the plan had to keep on the held-out text.</summary>
    public required double Target { get; init; }

    /// <summary>The layers in int8, sorted.</summary>
    public required IReadOnlyList<string> Int8Layers { get; init; }

    /// <summary>
    /// The smoothed layers' input maxima on the calibration half (<see cref="QuantizationPlan.Smoothing"/>); absent in
    /// plan files of unsmoothed plans.
    /// </summary>
    public IReadOnlyDictionary<string, float[]>? Smoothing { get; init; }

    /// <summary>Mean cosine to float32 of the whole plan on the held-out text.</summary>
    public required double HeldOutMeanCosine { get; init; }

    /// <summary>Lowest cosine to float32 of the whole plan on the held-out text.</summary>
    public required double HeldOutWorstCosine { get; init; }

    /// <summary>
    /// The per-layer table the plan was chosen on, in graph order (what <c>bitsieve model plan</c> printed); absent in
    /// plan files written before it was kept.
    /// </summary>
    public IReadOnlyList<LayerMeasurement>? Measurements { get; init; }

    /// <summary>The plan it describes.</summary>
    public QuantizationPlan ToPlan() => QuantizationPlan.Of(Int8Layers, Smoothing);

    /// <summary>Reads a plan file; a file that is not one throws <see cref="InvalidDataException"/> naming it.</summary>
    public static PlanFile Read(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : throw new FileNotFoundException($"Plan file not found: {Path.GetFullPath(path)}", path);

    /// <summary>A plan from its JSON; <paramref name="origin"/> names it in the error when it is not one.</summary>
    public static PlanFile Parse(string json, string origin)
    {
        try
        {
            return JsonSerializer.Deserialize(json, PlanJsonContext.Default.PlanFile)
                ?? throw new InvalidDataException($"{origin} holds no plan.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin} is not a plan file ({e.Message}).", e);
        }
    }

    /// <summary>Writes the plan as indented JSON.</summary>
    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, PlanJsonContext.Default.PlanFile) + "\n");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(PlanFile))]
internal sealed partial class PlanJsonContext : JsonSerializerContext;
