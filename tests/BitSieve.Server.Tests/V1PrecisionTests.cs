using System.Net;
using System.Text.Json;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Pipeline;

namespace BitSieve.Server.Tests;

/// <summary>
/// The /v1 text API embeds each collection at its stored precision: a collection indexed in int8 is searched with
/// int8 questions whatever the server's own precision, and a new collection stores the server's.
/// </summary>
public sealed class V1PrecisionTests : IDisposable
{
    private const string Question = "Which file lists the installed packages?";
    private const string Text = "The dpkg status file records every installed package, its version and its state.";
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "bitsieve-v1-precision-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private static string Documents() => JsonSerializer.Serialize(new { documents = new[] { new { source = "packages.txt", format = "text", text = Text } } });

    private static float[] Library(QuantizationPlan? plan, string text, bool isQuery)
    {
        using var generator = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Quantization = plan });
        return generator.Embed([text], isQuery, out _)[0];
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b).Sum(p => p.First * p.Second);

    private static async Task<(string Text, float Score)> TopHit(ServerHost host)
    {
        var answer = await host.PostAsync("/v1/collections/kb/search", $$"""{"query":"{{Question}}","k":1,"mode":"vector"}""");
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Text);
        var top = answer.Body.GetProperty("results")[0];
        return (top.GetProperty("text").GetString()!, top.GetProperty("score").GetSingle());
    }

    [Fact]
    public async Task An_int8_collection_is_filled_and_searched_in_int8_by_an_fp32_server()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { EmbeddingCacheDirectory = _cache });
        var collection = host.Server.Database.CreateCollection("kb", new CollectionOptions { Dimension = 384 });
        collection.SetProperty(FolderIndexer.ModelProperty, BuiltInModels.MiniLm);
        collection.SetProperty(FolderIndexer.PrecisionProperty, StoredPrecision.Int8);

        var added = await host.PostAsync("/v1/collections/kb/documents", Documents());
        Assert.True(added.Status == HttpStatusCode.OK, added.Text);
        var (text, score) = await TopHit(host);

        var document = Library(QuantizationPlan.Uniform, text, isQuery: false);
        float int8 = Dot(document, Library(QuantizationPlan.Uniform, Question, isQuery: true));
        // What a server blind to the stored precision would score: everything in fp32, or int8 documents and an fp32 question.
        var question = Library(null, Question, isQuery: true);
        float fp32 = Dot(Library(null, text, isQuery: false), question), mixed = Dot(document, question);
        Assert.True(Math.Abs(int8 - fp32) > 1e-4 && Math.Abs(int8 - mixed) > 1e-4, $"int8 {int8}, fp32 {fp32} and mixed {mixed} score alike: the test would not tell them apart");
        Assert.Equal(int8, score, 1e-5f);
        Assert.Equal(StoredPrecision.Int8, collection.GetProperty(FolderIndexer.PrecisionProperty));
    }

    [Fact]
    public async Task A_new_collection_stores_the_servers_precision_and_one_without_is_fp32()
    {
        await using (var host = await ServerHost.StartAsync(new ServerOptions { EmbeddingCacheDirectory = _cache, EmbeddingPrecision = StoredPrecision.Int8 }))
        {
            var added = await host.PostAsync("/v1/collections/kb/documents", Documents());
            Assert.True(added.Status == HttpStatusCode.OK, added.Text);
            Assert.Equal(StoredPrecision.Int8, host.Server.Database.GetCollection("kb").GetProperty(FolderIndexer.PrecisionProperty));

            // A collection indexed before precisions were stored (a model, no precision) stays fp32 on an int8 server.
            var old = host.Server.Database.CreateCollection("old", new CollectionOptions { Dimension = 384 });
            old.SetProperty(FolderIndexer.ModelProperty, BuiltInModels.MiniLm);
            added = await host.PostAsync("/v1/collections/old/documents", Documents());
            Assert.True(added.Status == HttpStatusCode.OK, added.Text);
            Assert.Equal(StoredPrecision.Fp32, old.GetProperty(FolderIndexer.PrecisionProperty));
        }
    }
}
