namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// The precision of a collection's embedding model as the collection stores it beside the model's name: <c>fp32</c>,
/// <c>int8</c> (every layer), or <c>auto</c> followed by the plan's int8 layers, one a line, and, for a smoothed plan, an
/// empty line and then each smoothed layer's name, a tab and its input maxima (float32, little-endian, base64), one a
/// line: everything a query needs to run the plan again, with no plan file. A collection without one (made before
/// precisions were stored) is fp32.
/// </summary>
internal static class StoredPrecision
{
    public const string Fp32 = "fp32", Int8 = "int8", Auto = "auto";
    private const string AutoPrefix = Auto + "\n", SmoothingSeparator = "\n\n";

    /// <summary>The stored form of <paramref name="plan"/> (null: fp32).</summary>
    public static string Encode(QuantizationPlan? plan)
    {
        if (plan is null) return Fp32;
        if (plan.AllLayers) return Int8;
        string layers = AutoPrefix + string.Join('\n', plan.Layers);
        if (plan.Smoothing is null) return layers;
        return layers + SmoothingSeparator + string.Join('\n', plan.Smoothing.OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Key + "\t" + Convert.ToBase64String(LittleEndianFloats.ToBytes(s.Value))));
    }

    /// <summary>The plan a stored precision runs (null: fp32); false for a value that is none of the three forms.</summary>
    public static bool TryDecode(string stored, out QuantizationPlan? plan)
    {
        plan = stored switch
        {
            Fp32 => null,
            Int8 => QuantizationPlan.Uniform,
            _ when stored.StartsWith(AutoPrefix, StringComparison.Ordinal) => DecodeAuto(stored[AutoPrefix.Length..]),
            _ => null,
        };
        return plan is not null || stored == Fp32;
    }

    /// <summary>The plan of an <c>auto</c> value after its first line; null when its smoothing lines do not read.</summary>
    private static QuantizationPlan? DecodeAuto(string value)
    {
        int separator = value.IndexOf(SmoothingSeparator, StringComparison.Ordinal);
        var layers = (separator < 0 ? value : value[..separator]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (separator < 0) return QuantizationPlan.Of(layers);

        var smoothing = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string line in value[(separator + SmoothingSeparator.Length)..].Split('\n'))
        {
            int tab = line.LastIndexOf('\t');
            if (tab <= 0) return null;
            var bytes = new byte[line.Length - tab];
            if (!Convert.TryFromBase64String(line[(tab + 1)..], bytes, out int written) || written % sizeof(float) != 0 || written == 0) return null;
            smoothing[line[..tab]] = LittleEndianFloats.FromBytes(bytes.AsSpan(0, written));
        }
        return smoothing.Keys.All(layers.Contains) ? QuantizationPlan.Of(layers, smoothing) : null;
    }

    /// <summary>One line for messages: <c>fp32</c>, <c>int8</c> or <c>auto (plan KEY)</c>; an unknown value as it is, on one line.</summary>
    public static string Describe(string stored) =>
        stored.StartsWith(AutoPrefix, StringComparison.Ordinal) && TryDecode(stored, out var plan) ? $"auto (plan {plan!.Key})" : stored.ReplaceLineEndings(" ");
}
