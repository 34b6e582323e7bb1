using BitSieve.Embeddings.Onnx.Quantization;

namespace BitSieve.Embeddings.Tests;

/// <summary>The greedy choice spends the error budget where it buys the most work: error per multiply-add, not error alone.</summary>
public sealed class PrecisionPlanChoiceTests
{
    [Fact]
    public void A_cheap_layer_with_a_large_error_goes_back_to_float32_before_an_expensive_one()
    {
        // Errors that add up, as the measured ones nearly do: together 8E-4, the target allows 6E-4, so one must stay float32.
        var query = new WeightLayer("query", "MatMul", 384, 384);
        var up = new WeightLayer("up", "MatMul", 384, 1536);
        var down = new WeightLayer("down", "MatMul", 1536, 384);
        var errors = new Dictionary<string, double> { ["query"] = 3e-4, ["up"] = 1e-4, ["down"] = 4e-4 };
        double MeanCosine(IReadOnlyList<string> plan) => 1 - plan.Sum(l => errors[l]);

        var chosen = PrecisionPlanner.Choose([(query, 3e-4), (up, 1e-4), (down, 4e-4)], MeanCosine, target: 1 - 6e-4);

        // By error alone, down (the largest error, 4× query's work) would stay float32; per multiply-add query is dearest
        // (2.0E-9 against 6.8E-10), so the plan keeps 2 × 384·1536 multiply-adds per token in int8 instead of 384·1536 + 384².
        Assert.Equal(new[] { "up", "down" }, chosen);
        Assert.True(MeanCosine(chosen) >= 1 - 6e-4);
    }

    [Fact]
    public void Equal_error_per_work_is_ordered_by_name_so_the_plan_is_deterministic()
    {
        var a = new WeightLayer("a", "MatMul", 384, 384);
        var b = new WeightLayer("b", "MatMul", 384, 384);
        var tried = new List<string>();
        double MeanCosine(IReadOnlyList<string> plan)
        {
            tried.Add(plan[^1]);
            return plan.Count == 1 ? 1 : 0;
        }

        Assert.Equal(new[] { "a" }, PrecisionPlanner.Choose([(b, 1e-4), (a, 1e-4)], MeanCosine, target: 0.5));
        Assert.Equal(new[] { "a", "b" }, tried);
    }
}
