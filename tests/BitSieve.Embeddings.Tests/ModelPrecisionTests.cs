using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using Xunit.Abstractions;

namespace BitSieve.Embeddings.Tests;

/// <summary>MiniLM rewritten to int8: it runs, stays close to float32, keeps its own cache identity, and plans deterministically.</summary>
[Collection(ModelCollection.Name)]
public sealed class ModelPrecisionTests(ModelFixture models, ITestOutputHelper output)
{
    [Fact]
    public void All_int8_MiniLm_runs_and_stays_close_to_float32_on_the_calibration_sentences()
    {
        var texts = CalibrationText.BuiltIn();
        using var int8 = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = QuantizationPlan.Uniform });
        var expected = models.MiniLm.Embed(texts, isQuery: false, out _);
        var actual = int8.Embed(texts, isQuery: false, out _);

        var (mean, worst) = PrecisionPlanner.Errors(expected, actual);
        output.WriteLine($"all-int8 MiniLM on {texts.Count} calibration sentences: mean cosine {1 - mean:F5}, worst {1 - worst:F5}");
        Assert.All(actual, v => Assert.Equal(1, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        Assert.True(mean > 0, "the int8 model gave float32's vectors exactly: it did not run in int8");
        // Floor: measured here (AVX-512 VNNI) at 0.9939 mean, 0.9909 worst. 0.98 / 0.95 leaves room for other CPUs'
        // kernels (AVX2 without VNNI rounds differently) while still catching a broken rewrite: a wrong scale, a
        // transposed weight or a per-tensor weight scale drops the cosine far lower.
        Assert.True(1 - mean >= 0.98, $"mean cosine {1 - mean:F5}");
        Assert.True(1 - worst >= 0.95, $"worst cosine {1 - worst:F5}");
    }

    [Fact]
    public void Only_an_int8_model_changes_the_identity_caches_key_on()
    {
        using var fp32 = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm);
        using var uniform = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = QuantizationPlan.Uniform });
        using var planned = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = QuantizationPlan.Of(["MatMul_34"]) });

        Assert.Equal("onnx:6d7e413dc8d0d4f360d5386fb49dfbf5:lower:mean:256:l2", fp32.Info.Identity);
        Assert.Equal(fp32.Info.Identity + $":int8v{Int8Rewriter.Version}-all", uniform.Info.Identity);
        Assert.StartsWith(fp32.Info.Identity + $":int8v{Int8Rewriter.Version}-", planned.Info.Identity);
        Assert.NotEqual(uniform.Info.Identity, planned.Info.Identity);
    }

    [Fact]
    public void The_plan_is_deterministic_for_a_fixed_calibration_set()
    {
        // Bounded: 12 sentences and the first block's six products (the full model takes `bitsieve model plan`).
        var texts = CalibrationText.BuiltIn().Take(12).ToArray();
        var firstBlock = Int8Rewriter.FindLayers(BuiltInModels.Load(BuiltInModels.MiniLm).ReadBytes().Model).Take(6).Select(l => l.Name).ToHashSet();
        var first = PrecisionPlanner.Plan(BuiltInModels.MiniLm, texts, target: 0.9995, candidates: l => firstBlock.Contains(l.Name));
        var second = PrecisionPlanner.Plan(BuiltInModels.MiniLm, texts, target: 0.9995, candidates: l => firstBlock.Contains(l.Name));

        foreach (var row in first.Layers) output.WriteLine($"{row.Layer.Name} {row.Layer.Shape} {row.MeanError:E2} {row.WorstError:E2} {row.TimeShare:P1} {(row.Int8 ? "int8" : "fp32")}");
        Assert.Equal(6, first.Layers.Count);
        Assert.Equal(first.Plan.Int8Layers, second.Plan.Int8Layers);
        Assert.Equal(first.Layers.Select(l => (l.Layer, l.MeanError, l.WorstError, l.Int8)), second.Layers.Select(l => (l.Layer, l.MeanError, l.WorstError, l.Int8)));
        Assert.Equal(first.Plan.HeldOutMeanCosine, second.Plan.HeldOutMeanCosine);
        Assert.Equal(first.Plan.ToPlan().Key, second.Plan.ToPlan().Key); // the smoothing maxima too
        Assert.All(first.Layers, l => Assert.True(l.TimeShare > 0, $"{l.Layer.Name} has no profiled time"));
    }
}
