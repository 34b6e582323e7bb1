using BitSieve.Embeddings.Onnx;
using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings.Tests;

[Collection(ModelCollection.Name)]
public sealed class OnnxEmbeddingGeneratorTests(ModelFixture models)
{
    private static readonly string[] Sentences =
    [
        "The cat sits on the mat.",
        "A feline is resting on a rug.",
        "Python's open() function returns a file object.",
        "Debian packages are installed with apt-get install.",
        "",
        "How do I read a file line by line in Python?",
        "x",
        "The quick brown fox jumps over the lazy dog, again and again, until the dog finally wakes up and chases it away.",
    ];

    [Fact]
    public async Task MiniLm_gives_384_dimensional_unit_vectors_with_model_metadata()
    {
        var generated = await models.MiniLm.GenerateAsync(Sentences);

        Assert.Equal(Sentences.Length, generated.Count);
        foreach (var embedding in generated)
        {
            Assert.Equal(384, embedding.Vector.Length);
            Assert.Equal(1.0, Similarity.Norm(embedding.Vector.Span), 5);
            Assert.Equal("minilm", embedding.ModelId);
        }
        Assert.True(generated.Usage?.InputTokenCount > Sentences.Length * 2);
        var metadata = models.MiniLm.GetService<EmbeddingGeneratorMetadata>();
        Assert.Equal(384, metadata?.DefaultModelDimensions);
        var info = models.MiniLm.GetService<EmbeddingModelInfo>();
        Assert.Equal(384, info?.Dimensions);
        Assert.Equal("en", info?.Language); // trained on English only
        Assert.Equal("en", models.ArcticXs.Info.Language);
        Assert.Equal(Pooling.Mean, models.MiniLm.Pooling);
        Assert.Equal(256, models.MiniLm.MaximumTokens);
        Assert.Equal(Environment.ProcessorCount, models.MiniLm.IntraOpThreads);
    }

    [Fact]
    public async Task Similar_sentences_score_higher_than_unrelated_ones()
    {
        var v = await models.MiniLm.GenerateAsync(Sentences);
        double paraphrase = Similarity.Cosine(v[0].Vector.Span, v[1].Vector.Span);
        double unrelated = Similarity.Cosine(v[0].Vector.Span, v[3].Vector.Span);
        Assert.True(paraphrase > 0.5, $"paraphrase {paraphrase}");
        Assert.True(paraphrase > unrelated + 0.3, $"paraphrase {paraphrase}, unrelated {unrelated}");
    }

    [Fact]
    public async Task Batching_sorting_and_padding_do_not_change_a_vector()
    {
        // All in one call (sorted by length, padded per batch) against one text per call (no padding at all).
        var together = await models.MiniLm.GenerateAsync(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            var alone = await models.MiniLm.GenerateAsync([Sentences[i]]);
            Assert.True(Similarity.Cosine(together[i].Vector.Span, alone[0].Vector.Span) > 0.99999, $"sentence {i}");
        }
    }

    [Fact]
    public void Raw_mean_pooling_is_the_normalized_vector_times_its_length()
    {
        using var raw = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Normalize = false, BatchSize = 3, IntraOpThreads = 1 });
        var unnormalized = raw.Embed(Sentences, isQuery: false, out _);
        var normalized = models.MiniLm.Embed(Sentences, isQuery: false, out _);
        Assert.NotEqual(raw.Info.Identity, models.MiniLm.Info.Identity);
        for (int i = 0; i < Sentences.Length; i++)
        {
            double norm = Similarity.Norm(unnormalized[i]);
            Assert.True(Math.Abs(norm - 1) > 0.01, $"sentence {i} has norm {norm}: not raw");
            // Batches of 3 on one thread against batches of 16 on all: ONNX Runtime's sums may differ in the last bits.
            for (int d = 0; d < 384; d++) Assert.Equal(normalized[i][d], unnormalized[i][d] / norm, 1e-5);
        }
    }

    [Fact]
    public void Cls_pooling_takes_the_first_token_and_differs_from_mean_pooling()
    {
        using var cls = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm, new OnnxEmbeddingOptions { Pooling = Pooling.Cls });
        var first = cls.Embed(Sentences, isQuery: false, out _);
        var mean = models.MiniLm.Embed(Sentences, isQuery: false, out _);
        Assert.Equal(Pooling.Cls, cls.Pooling);
        Assert.NotEqual(cls.Info.Identity, models.MiniLm.Info.Identity);
        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(1.0, Similarity.Norm(first[i]), 5);
            Assert.True(Similarity.Cosine(first[i], mean[i]) < 0.999, $"sentence {i}");
        }
        Assert.True(Similarity.Cosine(first[0], first[3]) < 0.99);
    }

    [Fact]
    public void Long_texts_are_cut_at_the_token_limit()
    {
        string longText = string.Join(' ', Enumerable.Repeat("retrieval engines quantize vectors", 200));
        Assert.Equal(256, models.MiniLm.CountTokens(longText));
        Assert.Equal(512, models.ArcticXs.CountTokens(longText));

        // Everything after the cut is ignored: a different tail gives the same vector.
        var a = models.MiniLm.Embed([longText], false, out long tokensA)[0];
        var b = models.MiniLm.Embed([longText + " completely different ending about cooking pasta"], false, out _)[0];
        Assert.Equal(256, tokensA);
        Assert.True(Similarity.Cosine(a, b) > 0.99999);
    }

    [Fact]
    public async Task ArcticXs_gives_384_dimensional_unit_vectors_with_cls_pooling()
    {
        var generated = await models.ArcticXs.GenerateAsync(Sentences);
        Assert.Equal(Pooling.Cls, models.ArcticXs.Pooling);
        Assert.Equal(512, models.ArcticXs.MaximumTokens);
        foreach (var embedding in generated)
        {
            Assert.Equal(384, embedding.Vector.Length);
            Assert.Equal(1.0, Similarity.Norm(embedding.Vector.Span), 5);
        }
        Assert.NotEqual(models.MiniLm.Info.Identity, models.ArcticXs.Info.Identity);
    }

    [Fact]
    public async Task ArcticXs_applies_its_query_prefix_to_queries_only()
    {
        const string question = "how do I read a file line by line";
        var asQuery = await models.ArcticXs.GenerateAsync([question], EmbeddingInput.ForQuery());
        var asDocument = await models.ArcticXs.GenerateAsync([question]);
        var prefixedDocument = await models.ArcticXs.GenerateAsync([BuiltInModels.ArcticQueryPrefix + question]);

        Assert.Equal(BuiltInModels.ArcticQueryPrefix, models.ArcticXs.Info.QueryPrefix);
        Assert.True(Similarity.Cosine(asQuery[0].Vector.Span, prefixedDocument[0].Vector.Span) > 0.99999);
        Assert.True(Similarity.Cosine(asQuery[0].Vector.Span, asDocument[0].Vector.Span) < 0.999);
        Assert.True(models.ArcticXs.CountTokens(question, isQuery: true) > models.ArcticXs.CountTokens(question) + 5);

        // MiniLM has no query prefix: a query is embedded as it is.
        var miniQuery = await models.MiniLm.GenerateAsync([question], EmbeddingInput.ForQuery());
        var miniDocument = await models.MiniLm.GenerateAsync([question]);
        Assert.Equal(miniDocument[0].Vector.ToArray(), miniQuery[0].Vector.ToArray());
    }

    [Fact]
    public void Query_marking_reads_the_input_type_property()
    {
        Assert.False(EmbeddingInput.IsQuery(null));
        Assert.False(EmbeddingInput.IsQuery(new EmbeddingGenerationOptions()));
        var query = EmbeddingInput.ForQuery(new EmbeddingGenerationOptions { Dimensions = 7 });
        Assert.True(EmbeddingInput.IsQuery(query));
        Assert.Equal(7, query.Dimensions);
        Assert.Equal("query", query.AdditionalProperties?[EmbeddingInput.PropertyName]);
    }

    [Fact]
    public async Task Embedding_is_safe_from_several_threads()
    {
        var expected = models.MiniLm.Embed(Sentences, false, out _);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => models.MiniLm.GenerateAsync(Sentences))));
        foreach (var result in results)
        {
            for (int i = 0; i < Sentences.Length; i++)
                Assert.True(Similarity.Cosine(expected[i], result[i].Vector.Span) > 0.99999);
        }
    }

    [Theory]
    [InlineData(BuiltInModels.MiniLm)]
    [InlineData(BuiltInModels.ArcticXs)]
    public void A_built_in_model_is_described_without_reading_it_and_checked_when_read(string name)
    {
        var source = BuiltInModels.Load(name);
        var bytes = source.ReadBytes();
        Assert.Equal(bytes.ContentHash(), source.ContentHash); // the hash written in BuiltInModels is that of the package's bytes

        using var lazy = OnnxEmbeddingGenerator.LoadBuiltIn(name);
        Assert.False(lazy.IsLoaded);
        Assert.Equal(384, lazy.Info.Dimensions);
        Assert.StartsWith($"onnx:{source.ContentHash}:", lazy.Info.Identity, StringComparison.Ordinal);
        lazy.Load();
        Assert.True(lazy.IsLoaded);

        // Other bytes than the identity names, or another vector length, fail the first run instead of filling caches.
        using var otherBytes = new OnnxEmbeddingGenerator(source with { ContentHash = new string('0', 32) }, new OnnxEmbeddingOptions());
        var e = Assert.Throws<InvalidDataException>(() => otherBytes.Embed(["x"], false, out _));
        Assert.Contains(source.ContentHash, e.Message, StringComparison.Ordinal);
        using var otherLength = new OnnxEmbeddingGenerator(source with { Dimensions = 768 }, new OnnxEmbeddingOptions());
        Assert.Throws<InvalidDataException>(() => otherLength.Embed(["x"], false, out _));
    }
}
