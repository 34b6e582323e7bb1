using System.CommandLine;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Pipeline;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>--precision auto|fp32|int8</c> and <c>--plan FILE</c>: which layers of an ONNX model run in int8. auto (the default)
/// runs a plan measured by <c>bitsieve model plan</c>: the one committed with the code for a built-in model, or the
/// <c>--plan</c> file; a model with neither (a local export, an HTTP model) runs in fp32. fp32 is the model's own bytes;
/// int8 puts every weight-constant MatMul/Gemm in int8. A collection stores the precision of its vectors beside its model
/// (<see cref="FolderIndexer.PrecisionProperty"/>) as it ran, and every later query is embedded with it.
/// </summary>
internal static class PrecisionChoice
{
    private const string AutoPrefix = Auto + "\n";

    public const string Fp32 = "fp32", Int8 = "int8", Auto = "auto";

    public static Option<string> CreateOption()
    {
        var option = new Option<string>("--precision")
        {
            Description = "ONNX models: auto (default: the layers a measured plan puts in int8 — the plan committed for minilm and arctic-xs, " +
                          "or --plan; fp32 for a model with neither), fp32 (the model as published) or int8 (every weight-constant MatMul/Gemm " +
                          "in int8, activations quantized per batch).",
            DefaultValueFactory = _ => Auto,
            HelpName = "auto|fp32|int8",
        };
        // A validator rather than AcceptOnlyFromAmong, whose message spans several lines (errors here are one line).
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value is not (Fp32 or Int8 or Auto))
                result.AddError($"--precision must be fp32, int8 or auto, not '{value}'");
        });
        return option;
    }

    public static Option<string?> CreatePlanOption() => new("--plan")
    {
        Description = "With --precision auto: the plan file `bitsieve model plan` wrote, instead of the committed one.",
        HelpName = "PLAN.json",
    };

    /// <summary>
    /// The int8 layers for <paramref name="precision"/> on <paramref name="model"/>, null for fp32 (auto on a model without
    /// a committed plan and without <paramref name="planPath"/> is fp32); a plan measured on other model bytes, a missing
    /// plan file, or int8 or a plan file for a model that is not ONNX throws <see cref="UsageException"/>.
    /// </summary>
    public static QuantizationPlan? Resolve(string precision, string? planPath, string model)
    {
        if (precision == Fp32)
        {
            if (planPath is not null) throw new UsageException("--plan needs --precision auto");
            return null;
        }
        if (model.StartsWith("openai:", StringComparison.OrdinalIgnoreCase) || model.Contains("://", StringComparison.Ordinal))
        {
            if (precision == Auto && planPath is null) return null; // the default: an HTTP model has no layers to plan
            throw new UsageException($"--precision {precision}{(planPath is null ? "" : " --plan")} applies to ONNX models only, not {model}");
        }
        if (precision == Int8)
        {
            if (planPath is not null) throw new UsageException("--plan needs --precision auto");
            return QuantizationPlan.Uniform;
        }

        if (planPath is null) return BuiltInPlans.For(ContentHash(model))?.ToPlan(); // by the bytes: a local copy of minilm gets its plan
        if (!File.Exists(planPath)) throw new UsageException($"--plan {planPath}: no such file");
        var plan = PlanFile.Read(planPath);
        string hash = ContentHash(model);
        if (plan.SourceHash != hash)
            throw new UsageException($"the plan {planPath} was measured on model {plan.Model} ({plan.SourceHash}), not on {model} ({hash})");
        return plan.ToPlan();
    }

    private static string ContentHash(string model) =>
        BuiltInModels.IsBuiltIn(model) ? BuiltInModels.Load(model).ContentHash : LocalModel.Load(model).ContentHash;

    /// <summary>What the options asked for: the precision only when given on the command line (null: the collection's, auto for a new one).</summary>
    public static PrecisionRequest Read(ParseResult parse, Option<string> precision, Option<string?> plan) =>
        new(parse.GetResult(precision) is { Implicit: false } ? parse.GetValue(precision) : null, parse.GetValue(plan));

    /// <summary>
    /// The precision of <paramref name="collection"/>'s vectors (null: a new one) with <paramref name="model"/>: the
    /// stored one (fp32 for a collection made before precisions were stored), or the requested one for a new collection
    /// (auto when none is). A request that disagrees with the stored precision throws <see cref="UsageException"/>
    /// naming both, so one collection never mixes vectors of two precisions.
    /// </summary>
    public static CollectionPrecision ForCollection(Collection? collection, PrecisionRequest request, string model)
    {
        string? stored = collection is null ? null : collection.GetProperty(FolderIndexer.PrecisionProperty) ?? Fp32;
        if (request.Precision is null && stored is not null)
        {
            if (request.PlanPath is not null) throw new UsageException("--plan needs --precision auto");
            if (!StoredPrecision.TryDecode(stored, out var storedPlan))
                throw new UsageException($"collection '{collection!.Name}' stores an unknown precision '{StoredPrecision.Describe(stored)}'");
            return new CollectionPrecision(stored, storedPlan);
        }
        // A new collection: auto unless asked otherwise (a --plan alone is auto with that plan).
        var plan = Resolve(request.Precision ?? Auto, request.PlanPath, model);
        string chosen = StoredPrecision.Encode(plan);
        if (stored is not null && stored != chosen)
            throw new UsageException($"collection '{collection!.Name}' holds {StoredPrecision.Describe(stored)} vectors, not {StoredPrecision.Describe(chosen)}: leave out --precision or use another --collection");
        return new CollectionPrecision(chosen, plan);
    }

    /// <summary>The generator options that run <paramref name="precision"/>, with <paramref name="cache"/> in front (rewritten models are kept beside the embedding cache).</summary>
    public static EmbeddingModelOptions ModelOptions(CollectionPrecision precision, EmbeddingCache? cache) => new()
    {
        Cache = cache,
        Quantization = precision.Plan,
        RewrittenModelDirectory = precision.Plan is null ? null : EmbeddingCache.DefaultDirectory(),
    };
}

/// <summary><c>--precision</c> and <c>--plan</c> as given; null precision: not given.</summary>
internal sealed record PrecisionRequest(string? Precision, string? PlanPath)
{
    /// <summary>Nothing given: the collection's precision.</summary>
    public static PrecisionRequest Stored { get; } = new(null, null);
}

/// <summary>The precision of a collection's vectors: its stored form and the int8 layers it runs (null: fp32).</summary>
internal sealed record CollectionPrecision(string Stored, QuantizationPlan? Plan);
