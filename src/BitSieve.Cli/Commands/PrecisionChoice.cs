using System.CommandLine;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>--precision fp32|int8|auto</c> and <c>--plan FILE</c>: which layers of an ONNX model run in int8. fp32 (the default
/// for now) is the model's own bytes; int8 puts every weight-constant MatMul/Gemm in int8; auto runs a plan measured by
/// <c>bitsieve model plan</c>.
/// </summary>
internal static class PrecisionChoice
{
    public const string Fp32 = "fp32", Int8 = "int8", Auto = "auto";

    public static Option<string> CreateOption()
    {
        var option = new Option<string>("--precision")
        {
            Description = "ONNX models: fp32 (default, the model as published), int8 (every weight-constant MatMul/Gemm in int8, " +
                          "activations quantized per batch) or auto (the layers a plan from `bitsieve model plan` chose; needs --plan).",
            DefaultValueFactory = _ => Fp32,
            HelpName = "fp32|int8|auto",
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
        Description = "With --precision auto: the plan file `bitsieve model plan` wrote.",
        HelpName = "PLAN.json",
    };

    /// <summary>
    /// The int8 layers for <paramref name="precision"/> on <paramref name="model"/>, null for fp32; a plan measured on
    /// other model bytes, a missing plan, or int8 for a model that is not ONNX throws <see cref="UsageException"/>.
    /// </summary>
    public static QuantizationPlan? Resolve(string precision, string? planPath, string model)
    {
        if (precision == Fp32)
        {
            if (planPath is not null) throw new UsageException("--plan needs --precision auto");
            return null;
        }
        if (model.StartsWith("openai:", StringComparison.OrdinalIgnoreCase) || model.Contains("://", StringComparison.Ordinal))
            throw new UsageException($"--precision {precision} applies to ONNX models only, not {model}");
        if (precision == Int8)
        {
            if (planPath is not null) throw new UsageException("--plan needs --precision auto");
            return QuantizationPlan.Uniform;
        }

        // Built-in plans measured and committed with the code come in the next increment; until then auto needs a file.
        if (planPath is null) throw new UsageException("--precision auto needs --plan FILE (written by `bitsieve model plan`)");
        var plan = PlanFile.Read(planPath);
        string hash = BuiltInModels.IsBuiltIn(model) ? BuiltInModels.Load(model).ContentHash : LocalModel.Load(model).ContentHash;
        if (plan.SourceHash != hash)
            throw new UsageException($"the plan {planPath} was measured on model {plan.Model} ({plan.SourceHash}), not on {model} ({hash})");
        return plan.ToPlan();
    }
}
