namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// The precision of a collection's embedding model as the collection stores it beside the model's name: <c>fp32</c>,
/// <c>int8</c> (every layer), or <c>auto</c> followed by the plan's int8 layers, one a line. A collection without one
/// (made before precisions were stored) is fp32.
/// </summary>
internal static class StoredPrecision
{
    public const string Fp32 = "fp32", Int8 = "int8", Auto = "auto";
    private const string AutoPrefix = Auto + "\n";

    /// <summary>The stored form of <paramref name="plan"/> (null: fp32).</summary>
    public static string Encode(QuantizationPlan? plan) =>
        plan is null ? Fp32 : plan.AllLayers ? Int8 : AutoPrefix + string.Join('\n', plan.Layers);

    /// <summary>The plan a stored precision runs (null: fp32); false for a value that is none of the three forms.</summary>
    public static bool TryDecode(string stored, out QuantizationPlan? plan)
    {
        plan = stored switch
        {
            Fp32 => null,
            Int8 => QuantizationPlan.Uniform,
            _ when stored.StartsWith(AutoPrefix, StringComparison.Ordinal) =>
                QuantizationPlan.Of(stored[AutoPrefix.Length..].Split('\n', StringSplitOptions.RemoveEmptyEntries)),
            _ => null,
        };
        return plan is not null || stored == Fp32;
    }

    /// <summary>One line for messages: <c>fp32</c>, <c>int8</c> or <c>auto (plan KEY)</c>; an unknown value as it is, on one line.</summary>
    public static string Describe(string stored) =>
        stored.StartsWith(AutoPrefix, StringComparison.Ordinal) && TryDecode(stored, out var plan) ? $"auto (plan {plan!.Key})" : stored.ReplaceLineEndings(" ");
}
