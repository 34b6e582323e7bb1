using System.Text.Json;
using BitSieve.Cli.Commands;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Pipeline;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary>
/// <c>--precision</c> on <c>index</c> and <c>ask</c>: a new collection stores the precision beside its model, every
/// later query is embedded with it, a request that disagrees is refused, and a collection made before precisions were
/// stored is fp32 as it always was.
/// </summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class IndexPrecisionTests : IDisposable
{
    private const string Question = "Which file lists the installed packages?";
    private readonly TempDirectory _dir = new();

    public IndexPrecisionTests()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", _dir.File("cache"));
        Directory.CreateDirectory(_dir.File("docs"));
        File.WriteAllText(_dir.File("docs/packages.txt"), "The dpkg status file records every installed package, its version and its state.");
    }

    private string Db => _dir.File("db");

    private string Docs => _dir.File("docs");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        _dir.Dispose();
    }

    /// <summary>The top vector hit of the question: its text and score.</summary>
    private async Task<(string Text, float Score)> TopHit()
    {
        var (code, output, error) = await Run("search", "--db", Db, "--mode", "vector", "--json", "--", Question);
        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        var hit = json.RootElement.GetProperty("results")[0];
        return (hit.GetProperty("text").GetString()!, hit.GetProperty("score").GetSingle());
    }

    private static float[] Library(QuantizationPlan? plan, string text, bool isQuery)
    {
        using var generator = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = plan });
        return generator.Embed([text], isQuery, out _)[0];
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b).Sum(p => p.First * p.Second);

    private string? StoredPrecision()
    {
        using var database = Database.Open(Db, new DatabaseOptions { ReadOnly = true });
        return database.GetCollection(DatabaseArguments.DefaultCollection).GetProperty(FolderIndexer.PrecisionProperty);
    }

    [Fact]
    public async Task Index_with_int8_stores_it_and_search_embeds_the_question_with_int8()
    {
        var (code, _, error) = await Run("index", "--db", Db, "--precision", "int8", Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal("int8", StoredPrecision());

        var (text, score) = await TopHit();
        var document = Library(QuantizationPlan.Uniform, text, isQuery: false);
        float int8 = Dot(document, Library(QuantizationPlan.Uniform, Question, isQuery: true));
        // What a search blind to the stored precision would score: int8 chunks and an fp32 question; or all fp32.
        var question = Library(null, Question, isQuery: true);
        float mixed = Dot(document, question), fp32 = Dot(Library(null, text, isQuery: false), question);
        Assert.True(Math.Abs(int8 - mixed) > 1e-4 && Math.Abs(int8 - fp32) > 1e-4, $"int8 {int8}, mixed {mixed} and fp32 {fp32} score alike: the test would not tell them apart");
        Assert.Equal(int8, score, 1e-5f);

        // Indexing again without --precision keeps the collection's own.
        (code, _, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal("int8", StoredPrecision());
    }

    [Theory]
    [InlineData("index")]
    [InlineData("ask")]
    public async Task A_precision_other_than_the_collections_is_refused_with_one_line(string command)
    {
        var (code, _, error) = await Run("index", "--db", Db, "--precision", "int8", Docs);
        Assert.True(code == ExitCodes.Ok, error);

        string[] args = command == "ask" ? ["ask", "--db", Db, "--precision", "fp32", Docs, Question] : ["index", "--db", Db, "--precision", "fp32", Docs];
        (code, var output, error) = await Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        string line = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("holds int8 vectors, not fp32", line, StringComparison.Ordinal);
        Assert.Equal("int8", StoredPrecision());
    }

    [Fact]
    public async Task A_collection_without_a_stored_precision_is_fp32_and_refuses_int8()
    {
        // A collection as bitsieve index made it before precisions were stored: the model property only.
        using (var database = Database.Open(Db))
        {
            using var embedder = EmbeddingModels.Create(BuiltInModels.MiniLm, new EmbeddingModelOptions());
            var collection = database.CreateCollection(DatabaseArguments.DefaultCollection, new CollectionOptions { Dimension = 384 });
            collection.SetProperty(FolderIndexer.ModelProperty, BuiltInModels.MiniLm);
            await new FolderIndexer(collection, embedder).IndexAsync(Docs);
        }

        var (text, score) = await TopHit();
        Assert.Null(StoredPrecision());
        Assert.Equal(Dot(Library(null, text, isQuery: false), Library(null, Question, isQuery: true)), score, 1e-5f);

        var (code, output, error) = await Run("index", "--db", Db, "--precision", "int8", Docs);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains("holds fp32 vectors, not int8", Assert.Single(error.TrimEnd().Split('\n')), StringComparison.Ordinal);
        Assert.Null(StoredPrecision());

        // Indexing into it without --precision keeps fp32 (the default, auto, is for new collections only).
        (code, _, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal("fp32", StoredPrecision());
        Assert.Equal(score, (await TopHit()).Score);
    }

    [Fact]
    public async Task A_new_collection_gets_the_committed_plan_by_default_and_search_embeds_with_it()
    {
        var committed = BuiltInPlans.For(BuiltInModels.Load(BuiltInModels.MiniLm).ContentHash)!.ToPlan();
        var (code, _, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.NotNull(committed.Smoothing);
        Assert.Equal(BitSieve.Embeddings.Onnx.Quantization.StoredPrecision.Encode(committed), StoredPrecision()); // the layers and their smoothing

        var (text, score) = await TopHit();
        Assert.Equal(Dot(Library(committed, text, isQuery: false), Library(committed, Question, isQuery: true)), score, 1e-5f);
        Assert.NotEqual(Dot(Library(null, text, isQuery: false), Library(null, Question, isQuery: true)), score, 1e-5f);
    }

    [Fact]
    public async Task Auto_stores_the_plans_layers_and_refuses_int8_naming_the_plan()
    {
        var layers = Int8Rewriter.FindLayers(BuiltInModels.Load(BuiltInModels.MiniLm).ReadBytes().Model).Skip(2).Select(l => l.Name).ToArray();
        string path = _dir.File("plan.json");
        new PlanFile
        {
            Model = "minilm", SourceHash = BuiltInModels.Load(BuiltInModels.MiniLm).ContentHash, Target = 0.995,
            Int8Layers = layers, HeldOutMeanCosine = 1, HeldOutWorstCosine = 1,
        }.Write(path);
        var (code, _, error) = await Run("index", "--db", Db, "--precision", "auto", "--plan", path, Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal("auto\n" + string.Join('\n', layers.Order(StringComparer.Ordinal)), StoredPrecision());

        // The stored layers alone run the search: no plan file needed.
        File.Delete(path);
        var (text, score) = await TopHit();
        var plan = QuantizationPlan.Of(layers);
        var document = Library(plan, text, isQuery: false);
        float auto = Dot(document, Library(plan, Question, isQuery: true)), mixed = Dot(document, Library(null, Question, isQuery: true));
        Assert.True(Math.Abs(auto - mixed) > 1e-4, $"plan {auto} and fp32 {mixed} questions score alike: the test would not tell them apart");
        Assert.Equal(auto, score, 1e-5f);

        (code, var output, error) = await Run("index", "--db", Db, "--precision", "int8", Docs);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains($"holds auto (plan {plan.Key}) vectors, not int8", Assert.Single(error.TrimEnd().Split('\n')), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("auto")]
    public async Task The_chunks_of_many_files_embedded_together_get_the_vectors_of_one_call_per_file(string precision)
    {
        // Files of sections of many lengths: the indexer embeds the files after the first in one call, so a padded
        // batch of the model mixes chunks of several files.
        string[] topics = ["sockets", "packages", "certificates", "kernel modules", "mount points", "locales"];
        for (int f = 0; f < topics.Length; f++)
        {
            File.WriteAllText(_dir.File($"docs/{f}.md"), string.Join("\n\n", Enumerable.Range(0, 5).Select(s =>
                $"# {topics[f]}, part {s}\n\n" + string.Join(' ', Enumerable.Range(0, 1 + (7 * f + 3 * s) % 12)
                    .Select(n => $"Step {n} of part {s} explains how {topics[f]} are configured on a Debian system.")))));
        }
        var (code, _, error) = await Run("index", "--db", Db, "--precision", precision, Docs);
        Assert.True(code == ExitCodes.Ok, error);

        // What indexing with one call per file stored: each file's chunks embedded together, in order.
        var plan = precision == "auto" ? BuiltInPlans.For(BuiltInModels.Load(BuiltInModels.MiniLm).ContentHash)!.ToPlan() : null;
        using var perFile = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = plan });
        using var fp32 = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm);
        using var database = Database.Open(Db, new DatabaseOptions { ReadOnly = true });
        var points = database.GetCollection(DatabaseArguments.DefaultCollection).Scroll(null, 1000, withVector: true).Points;
        var stored = new List<double>();
        var oneCallPerFile = new List<double>();
        var toOneCallPerFile = new List<double>();
        foreach (var file in points.GroupBy(p => p.Payload!["source"]!.GetValue<string>()))
        {
            var chunks = file.OrderBy(p => p.Payload!["chunk"]!.GetValue<int>()).ToList();
            string[] texts = [.. chunks.Select(p => p.Payload!["text"]!.GetValue<string>())];
            var alone = perFile.Embed(texts, isQuery: false, out _);
            var exact = fp32.Embed(texts, isQuery: false, out _);
            for (int i = 0; i < chunks.Count; i++)
            {
                toOneCallPerFile.Add(Dot(alone[i], chunks[i].Vector!));
                stored.Add(Dot(exact[i], chunks[i].Vector!));
                oneCallPerFile.Add(Dot(exact[i], alone[i]));
            }
        }
        // After the first file (six chunks at most), more than a batch of the model (16) from the others.
        Assert.True(stored.Count > 6 + 16, $"{stored.Count} chunks");
        if (plan is null)
        {
            // Float32: the same vectors (padding and batch companions change nothing but rounding).
            Assert.All(toOneCallPerFile, cosine => Assert.True(cosine > 1 - 1e-6, $"cosine {cosine}"));
        }
        else
        {
            // Int8 quantizes each product's activations with one scale for the whole batch, so a vector moves with its
            // batch companions (here by up to a cosine of 0.994); the stored ones stay as close to float32 as before.
            Assert.True(stored.Average() >= oneCallPerFile.Average() - 5e-4,
                $"mean cosine to fp32: {stored.Average()} stored, {oneCallPerFile.Average()} with one call per file");
            Assert.True(stored.Average() >= 0.995, $"mean cosine to fp32 {stored.Average()}");
        }
    }

    [Theory]
    [InlineData("index", "--precision", "fp32", "--plan", "/no/such/plan.json")]
    [InlineData("index", "--plan", "/no/such/plan.json")]
    [InlineData("ask", "--precision", "int4")]
    [InlineData("eval", "--lang", "en", "--precision", "int4")]
    [InlineData("serve", "--port", "0", "--precision", "auto", "--plan", "/no/such/plan.json")]
    public async Task Precision_usage_errors_exit_2_with_one_line_before_any_model_is_rewritten(params string[] args)
    {
        File.WriteAllText(_dir.File("set.jsonl"), """{"query":"installed packages","source":"packages.txt","start":0,"end":20,"lang":"en"}""" + "\n");
        string[] tail = args[0] switch { "index" => [Docs], "ask" => [Docs, Question], "eval" => ["--folder", Docs, "--set", _dir.File("set.jsonl")], _ => [] };
        var (code, output, error) = await Run([.. args, "--db", Db, .. tail]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains("--p", Assert.Single(error.TrimEnd().Split('\n')), StringComparison.Ordinal); // --precision or --plan
        Assert.False(Directory.Exists(_dir.File("cache/models")));
    }
}
