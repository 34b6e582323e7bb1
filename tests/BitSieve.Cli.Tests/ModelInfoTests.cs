using BitSieve.Cli.Commands;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Pipeline;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary><c>bitsieve model info</c>: the model, its hash, the plan a precision or a collection runs, and where the rewritten model is kept.</summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class ModelInfoTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public ModelInfoTests() => Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", _dir.File("cache"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        _dir.Dispose();
    }

    [Fact]
    public async Task The_default_shows_the_committed_plans_table_and_where_the_rewritten_model_goes()
    {
        var source = BuiltInModels.Load(BuiltInModels.MiniLm);
        var committed = BuiltInPlans.For(source.ContentHash)!;
        var (code, output, error) = await Run("model", "info");
        Assert.True(code == ExitCodes.Ok, error);
        var lines = output.TrimEnd().Split('\n');
        Assert.Equal("model: minilm (built in)", lines[0]);
        Assert.Equal($"hash: {source.ContentHash}", lines[1]);
        Assert.StartsWith($"precision: auto (plan {committed.ToPlan().Key}) (from the default): the plan committed for minilm, {committed.Int8Layers.Count} of 37 layers int8", lines[2], StringComparison.Ordinal);
        // The per-layer table as `model plan` printed it: a header and a row per layer, its bits last.
        Assert.Contains("alone: mean 1-cos", lines[4], StringComparison.Ordinal);
        var rows = lines[5..^1];
        Assert.Equal(committed.Measurements!.Select(m => m.Layer.Name), rows.Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        Assert.Equal(committed.Measurements!.Select(m => m.Int8 ? "8" : "32"), rows.Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]));
        string path = RewrittenModelCache.PathFor(_dir.File("cache"), source.ContentHash, committed.ToPlan());
        Assert.Equal($"rewritten model: {path} (not written yet: the first use rewrites the model and keeps it there)", lines[^1]);

        (code, _, error) = await Run("embed", "--", "one text");
        Assert.True(code == ExitCodes.Ok, error);
        (code, output, _) = await Run("model", "info");
        Assert.EndsWith($"rewritten model: {path} (cached)", output.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fp32_and_int8_say_what_runs()
    {
        var (code, output, error) = await Run("model", "info", "--precision", "fp32");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("precision: fp32 (from --precision fp32): the model as published, all 37 weight-constant MatMul/Gemm layers in float32", output, StringComparison.Ordinal);
        Assert.DoesNotContain("rewritten model", output, StringComparison.Ordinal);

        (code, output, error) = await Run("model", "info", "--model", "arctic-xs", "--precision", "int8");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("precision: int8 (from --precision int8): every layer, 36 of 36 layers int8", output, StringComparison.Ordinal);
        Assert.Contains($"-int8v{Int8Rewriter.Version}-all.onnx (not written yet", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collection_shows_its_stored_precision_and_one_without_is_fp32()
    {
        string db = _dir.File("db");
        using (var database = Database.Open(db))
        {
            database.CreateCollection("old", new CollectionOptions { Dimension = 384 }).SetProperty(FolderIndexer.ModelProperty, BuiltInModels.MiniLm);
            var int8 = database.CreateCollection("fast", new CollectionOptions { Dimension = 384 });
            int8.SetProperty(FolderIndexer.ModelProperty, BuiltInModels.ArcticXs);
            int8.SetProperty(FolderIndexer.PrecisionProperty, StoredPrecision.Int8);
        }

        var (code, output, error) = await Run("model", "info", "--db", db, "--collection", "old");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("precision: fp32 (from collection 'old', which stores none: made before precisions were stored)", output, StringComparison.Ordinal);

        (code, output, error) = await Run("model", "info", "--db", db, "--collection", "fast");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.StartsWith("model: arctic-xs (built in)", output, StringComparison.Ordinal);
        Assert.Contains("precision: int8 (from collection 'fast'): every layer, 36 of 36 layers int8", output, StringComparison.Ordinal);

        (code, output, error) = await Run("model", "info", "--db", db, "--collection", "fast", "--precision", "fp32");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains("with --db the collection names the model and the precision", Assert.Single(error.TrimEnd().Split('\n')), StringComparison.Ordinal);
    }
}
