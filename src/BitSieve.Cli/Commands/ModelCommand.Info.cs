using System.CommandLine;
using System.Globalization;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Pipeline;
using BitSieve.Storage;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve model info</c>: the model, its content hash, the precision and plan it runs (a model with
/// <c>--precision</c>, or what a collection stores), the per-layer table where the plan was measured, and where the
/// rewritten model is cached.
/// </summary>
internal static partial class ModelCommand
{
    private static Command CreateInfo()
    {
        var model = new Option<string?>("--model")
        {
            Description = "minilm (default), arctic-xs, a local sentence-transformers ONNX folder or an HTTP model; not with --db (the collection names it).",
            HelpName = "NAME|PATH",
        };
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var db = new Option<string?>("--db") { Description = "Show what a collection of this database runs (its stored model and precision) instead.", HelpName = "DIR" };
        var collection = DatabaseArguments.Collection();

        var info = new Command("info", "Show a model's hash, the plan it runs at a precision (or a collection's), and where the rewritten model is cached.")
        {
            model, precision, plan, db, collection,
        };
        info.SetAction((parse, token) => DatabaseArguments.RunAsync("bitsieve model info", parse.InvocationConfiguration.Error, _ =>
        {
            var request = PrecisionChoice.Read(parse, precision, plan);
            string name;
            CollectionPrecision chosen;
            string origin;
            if (parse.GetValue(db) is { } directory)
            {
                if (parse.GetValue(model) is not null || request.Precision is not null || request.PlanPath is not null)
                    throw new UsageException("with --db the collection names the model and the precision: leave out --model, --precision and --plan");
                using var database = Database.Open(directory, new DatabaseOptions { ReadOnly = true });
                string collectionName = parse.GetValue(collection)!;
                if (!database.CollectionExists(collectionName)) throw new UsageException($"collection '{collectionName}' does not exist in '{database.Path}'");
                var stored = database.GetCollection(collectionName);
                name = stored.GetProperty(FolderIndexer.ModelProperty) ?? EmbeddingModels.Default;
                chosen = PrecisionChoice.ForCollection(stored, PrecisionRequest.Stored, name);
                origin = stored.GetProperty(FolderIndexer.PrecisionProperty) is null
                    ? $"collection '{collectionName}', which stores none: made before precisions were stored"
                    : $"collection '{collectionName}'";
            }
            else
            {
                name = parse.GetValue(model) ?? EmbeddingModels.Default;
                chosen = PrecisionChoice.ForCollection(null, request, name);
                origin = request.Precision is null ? "the default" : $"--precision {request.Precision}";
            }
            WriteInfo(name, chosen, origin, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        }, token));
        return info;
    }

    private static void WriteInfo(string name, CollectionPrecision precision, string origin, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        bool http = name.StartsWith("openai:", StringComparison.OrdinalIgnoreCase) || name.Contains("://", StringComparison.Ordinal);
        output.WriteLine($"model: {name}{(BuiltInModels.IsBuiltIn(name) ? " (built in)" : http ? " (HTTP)" : " (local ONNX export)")}");
        if (http)
        {
            output.WriteLine($"precision: fp32 (from {origin}): an HTTP model runs as its server runs it");
            return;
        }

        var source = BuiltInModels.IsBuiltIn(name) ? BuiltInModels.Load(name) : LocalModel.Load(name);
        output.WriteLine($"hash: {source.ContentHash}");
        var layers = Int8Rewriter.FindLayers(source.ReadBytes().Model);
        if (precision.Plan is null)
        {
            output.WriteLine($"precision: fp32 (from {origin}): the model as published, all {layers.Count} weight-constant MatMul/Gemm layers in float32, nothing rewritten");
            return;
        }

        var int8 = precision.Plan.Resolve(layers).ToHashSet(StringComparer.Ordinal);
        var committed = BuiltInPlans.For(source.ContentHash);
        bool isCommitted = committed is not null && !precision.Plan.AllLayers && committed.ToPlan().Key == precision.Plan.Key;
        string what = precision.Plan.AllLayers ? "every layer" : isCommitted ? $"the plan committed for {committed!.Model}" : "a plan from `bitsieve model plan`";
        output.WriteLine($"precision: {StoredPrecision.Describe(precision.Stored)} (from {origin}): {what}, {int8.Count} of {layers.Count} layers int8" +
            (precision.Plan.Smoothing is { } smoothing ? $", {smoothing.Count} of them smoothed" : ""));
        if (isCommitted)
        {
            output.WriteLine(string.Create(inv,
                $"plan: measured with target {committed!.Target}; held-out mean cosine to fp32 {committed.HeldOutMeanCosine:F5}, worst {committed.HeldOutWorstCosine:F5}"));
        }
        if (isCommitted && committed!.Measurements is { Count: > 0 } measured)
        {
            WriteTable(output, measured);
        }
        else
        {
            // No measurements to show (uniform int8, or a plan the collection stores by its layers only): the layers and their bits.
            int width = Math.Max("layer".Length, layers.Max(l => l.Name.Length));
            output.WriteLine($"  # {"layer".PadRight(width)} op      shape       bits");
            for (int i = 0; i < layers.Count; i++)
                output.WriteLine($"{i + 1,3} {layers[i].Name.PadRight(width)} {layers[i].OpType,-7} {layers[i].Shape,-11} {(int8.Contains(layers[i].Name) ? "8" : "32")}");
        }
        string path = RewrittenModelCache.PathFor(EmbeddingCache.DefaultDirectory(), source.ContentHash, precision.Plan);
        output.WriteLine($"rewritten model: {path} ({(File.Exists(path) ? "cached" : "not written yet: the first use rewrites the model and keeps it there")})");
    }
}
