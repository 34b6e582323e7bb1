using System.Text.Json;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary>
/// <c>bitsieve embed --precision fp32|int8|auto</c>: fp32 is today's vectors, int8 and auto are exactly the library's
/// rewritten models, whose bytes are kept beside the embedding cache; a plan for other model bytes is refused.
/// </summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class EmbedPrecisionTests : IDisposable
{
    private const string Text = "How do I list the files of a Debian package?";
    private readonly TempDirectory _dir = new();

    public EmbedPrecisionTests() => Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", _dir.File("cache"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        _dir.Dispose();
    }

    private static float[] Vector(string output)
    {
        using var json = JsonDocument.Parse(output.TrimEnd('\n', '\r').Split('\n')[^1]);
        return json.RootElement.GetProperty("vector").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }

    private static float[] Library(QuantizationPlan? plan)
    {
        using var generator = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = plan });
        return generator.Embed([Text], false, out _)[0];
    }

    [Fact]
    public async Task Fp32_is_the_model_as_published_and_int8_the_rewritten_one_kept_beside_the_cache()
    {
        var (code, output, error) = await Run("embed", "--precision", "fp32", "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(Library(null), Vector(output));
        Assert.False(Directory.Exists(_dir.File("cache/models")));

        (code, output, error) = await Run("embed", "--precision", "int8", "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        var int8 = Vector(output);
        Assert.Equal(Library(QuantizationPlan.Uniform), int8);
        Assert.NotEqual(Library(null), int8);
        string file = Assert.Single(Directory.GetFiles(_dir.File("cache/models")));
        Assert.EndsWith($"-int8v{Int8Rewriter.Version}-all.onnx", file, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_runs_the_plan_file_and_refuses_one_measured_on_other_bytes()
    {
        var layers = Int8Rewriter.FindLayers(BuiltInModels.Load(BuiltInModels.MiniLm).ReadBytes().Model).Take(6).Select(l => l.Name).ToArray();
        var plan = new PlanFile
        {
            Model = "minilm", SourceHash = BuiltInModels.Load(BuiltInModels.MiniLm).ContentHash, Target = 0.995,
            Int8Layers = layers, HeldOutMeanCosine = 1, HeldOutWorstCosine = 1,
        };
        string path = _dir.File("minilm.int8-plan.json");
        plan.Write(path);
        var (code, output, error) = await Run("embed", "--precision", "auto", "--plan", path, "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(Library(QuantizationPlan.Of(layers)), Vector(output));

        string other = _dir.File("other.json");
        (plan with { SourceHash = "00000000000000000000000000000000" }).Write(other);
        (code, output, error) = await Run("embed", "--precision", "auto", "--plan", other, "--json", "--", Text);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains("was measured on model minilm (00000000000000000000000000000000)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_is_auto_the_plan_committed_for_the_built_in_model()
    {
        var committed = BuiltInPlans.For(BuiltInModels.Load(BuiltInModels.MiniLm).ContentHash)!.ToPlan();
        var (code, output, error) = await Run("embed", "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        var byDefault = Vector(output);
        Assert.Equal(Library(committed), byDefault);
        Assert.NotEqual(Library(null), byDefault);
        Assert.NotEqual(Library(QuantizationPlan.Uniform), byDefault);
        // The committed plan is only rewritten (once, kept beside the cache), never measured again.
        string file = Assert.Single(Directory.GetFiles(_dir.File("cache/models")));
        Assert.EndsWith($"-int8v{Int8Rewriter.Version}-{committed.Key}.onnx", file, StringComparison.Ordinal);

        (code, output, error) = await Run("embed", "--precision", "auto", "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(byDefault, Vector(output));
    }

    [Fact]
    public async Task Auto_is_fp32_for_a_model_without_a_committed_plan()
    {
        // MiniLM's bytes with one more word piece at the end of the vocabulary: the same vectors, other bytes, so no plan.
        var bytes = BuiltInModels.Load(BuiltInModels.MiniLm).ReadBytes();
        string folder = _dir.File("local");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), bytes.Model);
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), System.Text.Encoding.UTF8.GetString(bytes.Tokenizer).TrimEnd('\n') + "\n[unused_extra]\n");

        var (code, output, error) = await Run("embed", "--model", folder, "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        var byDefault = Vector(output);
        Assert.False(Directory.Exists(_dir.File("cache/models")));
        (code, output, error) = await Run("embed", "--model", folder, "--precision", "fp32", "--json", "--", Text);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(Vector(output), byDefault);
    }

    [Theory]
    [InlineData("embed", "--precision", "auto", "--plan", "plan.json", "--model", "openai:text-embedding-3-small", "text")]
    [InlineData("embed", "--precision", "int4", "text")]
    [InlineData("embed", "--precision", "int8", "--model", "openai:text-embedding-3-small", "text")]
    [InlineData("embed", "--plan", "/no/such/plan.json", "text")]
    [InlineData("embed", "--precision", "auto", "--plan", "/no/such/plan.json", "text")]
    [InlineData("model", "plan", "--target", "1.5")]
    [InlineData("model", "plan", "--calibration", "/no/such/calibration.txt")]
    public async Task Usage_errors_exit_2_with_one_line(params string[] args)
    {
        var (code, output, error) = await Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
