using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using Xunit.Abstractions;

namespace BitSieve.Embeddings.Tests;

/// <summary>
/// The plans committed for the built-in models: made for the shipped bytes, what <c>bitsieve model plan</c> chose, and
/// still holding on this machine.
/// </summary>
/// <remarks>
/// A re-run of the planner gives the committed plan exactly on a CPU whose ONNX Runtime kernels round as the one it was
/// measured on (AVX-512 VNNI); another CPU's kernels (AVX2 without VNNI, ARM) round differently, and a layer whose error
/// sits at the target's edge may then be chosen the other way. So the default run checks what must hold everywhere —
/// the plan is for these bytes, its table is the model's layers, the plan keeps the target on the calibration half, and
/// no layer it leaves in float32 could join it — in a few seconds; <c>BITSIEVE_LONG_TESTS=1</c> re-runs the whole
/// planner (minutes) and requires the same plan.
/// </remarks>
public sealed class BuiltInPlanTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new() { BuiltInModels.MiniLm, BuiltInModels.ArcticXs };

    private static (OnnxModelSource Source, PlanFile Plan, IReadOnlyList<WeightLayer> Layers) Committed(string name)
    {
        var source = BuiltInModels.Load(name);
        var plan = BuiltInPlans.For(source.ContentHash);
        Assert.NotNull(plan);
        return (source, plan, Int8Rewriter.FindLayers(source.ReadBytes().Model));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_plan_is_for_the_shipped_bytes_and_its_table_is_the_models_layers(string name)
    {
        var (source, plan, layers) = Committed(name);
        Assert.Equal(name, plan.Model);
        Assert.Equal(source.ContentHash, plan.SourceHash);
        Assert.Equal(PrecisionPlanner.DefaultTarget, plan.Target);
        Assert.NotNull(plan.Measurements);
        Assert.Equal(layers, plan.Measurements.Select(m => m.Layer));
        Assert.Equal(plan.Measurements.Where(m => m.Int8).Select(m => m.Layer.Name).Order(StringComparer.Ordinal), plan.Int8Layers);
        Assert.Equal(plan.Measurements.Where(m => m.Int8 && m.Smoothed).Select(m => m.Layer.Name).Order(StringComparer.Ordinal),
            (plan.Smoothing?.Keys ?? []).Order(StringComparer.Ordinal));
        Assert.All(plan.Smoothing ?? new Dictionary<string, float[]>(), s =>
            Assert.Equal(layers.Single(l => l.Name == s.Key).Inner, s.Value.Length));
        Assert.True(plan.HeldOutMeanCosine >= plan.Target, $"held-out mean cosine {plan.HeldOutMeanCosine:F5}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_plan_keeps_the_target_and_no_float32_layer_could_join_it(string name)
    {
        var (source, plan, _) = Committed(name);
        var fit = CalibrationText.BuiltIn().Where((_, i) => i % 2 == 0).ToArray();
        float[][] Embed(QuantizationPlan? quantization)
        {
            using var generator = new OnnxEmbeddingGenerator(source, new OnnxEmbeddingOptions { Quantization = quantization });
            return generator.Embed(fit, isQuery: false, out _);
        }

        var reference = Embed(null);
        double cosine = 1 - PrecisionPlanner.Errors(reference, Embed(plan.ToPlan())).Mean;
        output.WriteLine($"{name}: the plan's mean cosine on the calibration half {cosine:F5}");
        Assert.True(cosine >= plan.Target, $"{name}: the committed plan's mean cosine {cosine:F5} is below its target {plan.Target}");
        foreach (var left in plan.Measurements!.Where(m => !m.Int8))
        {
            double with = 1 - PrecisionPlanner.Errors(reference, Embed(QuantizationPlan.Of([.. plan.Int8Layers, left.Layer.Name], plan.Smoothing))).Mean;
            output.WriteLine($"  + {left.Layer.Name}: {with:F5}");
            Assert.True(with < plan.Target, $"{name}: {left.Layer.Name} is left float32, yet the plan with it keeps {with:F5}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_long_run_of_the_planner_on_the_shipped_calibration_text_gives_the_committed_plan(string name)
    {
        if (Environment.GetEnvironmentVariable("BITSIEVE_LONG_TESTS") != "1") return;
        var (_, plan, _) = Committed(name);
        var again = PrecisionPlanner.Plan(name, CalibrationText.BuiltIn());
        Assert.Equal(plan.Int8Layers, again.Plan.Int8Layers);
        Assert.Equal(plan.Measurements!.Select(m => (m.Layer, m.MeanError, m.WorstError, m.Int8)),
            again.Layers.Select(m => (m.Layer, m.MeanError, m.WorstError, m.Int8)));
        Assert.Equal(plan.HeldOutMeanCosine, again.Plan.HeldOutMeanCosine);
    }
}
