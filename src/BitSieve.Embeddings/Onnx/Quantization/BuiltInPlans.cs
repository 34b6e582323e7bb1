namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// The precision plans measured for the built-in models (<c>bitsieve model plan</c> on the built-in calibration text)
/// and shipped inside the assembly, keyed by the content hash of the model bytes they were measured on: with them,
/// <c>--precision auto</c> only rewrites the graph (once, then cached) and never calibrates.
/// </summary>
internal static class BuiltInPlans
{
    private const string ResourcePrefix = "BitSieve.Embeddings.plans.";

    private static readonly Lazy<IReadOnlyDictionary<string, PlanFile>> s_plans = new(Load);

    /// <summary>The committed plan for the model bytes hashing to <paramref name="sourceHash"/>; null when none was committed.</summary>
    public static PlanFile? For(string sourceHash) => s_plans.Value.GetValueOrDefault(sourceHash);

    private static Dictionary<string, PlanFile> Load()
    {
        var assembly = typeof(BuiltInPlans).Assembly;
        var plans = new Dictionary<string, PlanFile>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var plan = PlanFile.Parse(reader.ReadToEnd(), name);
            if (!plans.TryAdd(plan.SourceHash, plan))
                throw new InvalidDataException($"Two built-in plans ({plans[plan.SourceHash].Model} and {name}) are for the same model bytes {plan.SourceHash}.");
        }
        return plans;
    }
}
