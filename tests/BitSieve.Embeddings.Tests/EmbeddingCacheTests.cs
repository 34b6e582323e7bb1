using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx;
using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings.Tests;

/// <summary>A real generator that counts the texts it is asked to embed.</summary>
internal sealed class CountingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private int _calls;
    private int _texts;

    public int Calls => _calls;

    public int Texts => _texts;

    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values.ToArray();
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _texts, list.Length);
        return base.GenerateAsync(list, options, cancellationToken);
    }

    // The fixture owns the real model.
    protected override void Dispose(bool disposing)
    {
    }
}

[Collection(ModelCollection.Name)]
public sealed class EmbeddingCacheTests(ModelFixture models) : IDisposable
{
    private static readonly string[] Texts =
    [
        "Use pathlib to join paths.",
        "The GIL protects interpreter state.",
        "dpkg -L lists the files of a package.",
        "Use pathlib to join paths.", // repeated within one call
    ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Texts_embedded_once_are_never_embedded_again()
    {
        using var cache = EmbeddingCache.Open(_dir.Path);
        var counting = new CountingGenerator(models.MiniLm);
        using var cached = new CachedEmbeddingGenerator(counting, cache);

        var first = await cached.GenerateAsync(Texts);
        Assert.Equal(1, counting.Calls);
        Assert.Equal(3, counting.Texts); // the repeated text is embedded once
        Assert.Equal(3, cache.Count(models.MiniLm.Info.Identity));

        var second = await cached.GenerateAsync(Texts);
        Assert.Equal(1, counting.Calls); // zero calls the second time
        Assert.Equal(Texts.Length, second.Count);
        var direct = models.MiniLm.Embed(Texts, false, out _);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(first[i].Vector.ToArray(), second[i].Vector.ToArray());
            Assert.Equal(direct[i], second[i].Vector.ToArray());
        }
        Assert.Equal(3, cached.Misses);
        Assert.Equal(5, cached.Hits);

        // A mix: only the new text reaches the model.
        await cached.GenerateAsync([Texts[1], "A new sentence about sockets."]);
        Assert.Equal(2, counting.Calls);
        Assert.Equal(4, counting.Texts);
    }

    [Fact]
    public async Task The_cache_is_shared_across_instances_and_keyed_by_model()
    {
        using (var cache = EmbeddingCache.Open(_dir.Path))
        using (var cached = new CachedEmbeddingGenerator(new CountingGenerator(models.MiniLm), cache))
        {
            await cached.GenerateAsync(Texts);
        }

        // Another instance (as another process or database would open it) finds the vectors.
        using var reopened = EmbeddingCache.Open(_dir.Path);
        var miniCounting = new CountingGenerator(models.MiniLm);
        using var miniCached = new CachedEmbeddingGenerator(miniCounting, reopened);
        await miniCached.GenerateAsync(Texts);
        Assert.Equal(0, miniCounting.Calls);

        // Another model does not see MiniLM's vectors.
        var arcticCounting = new CountingGenerator(models.ArcticXs);
        using var arcticCached = new CachedEmbeddingGenerator(arcticCounting, reopened);
        var arctic = await arcticCached.GenerateAsync(Texts);
        Assert.Equal(1, arcticCounting.Calls);
        Assert.Equal(models.ArcticXs.Embed(Texts, false, out _)[2], arctic[2].Vector.ToArray());

        // With a query prefix, a query is another entry than the same text as a document.
        await arcticCached.GenerateAsync([Texts[0]], EmbeddingInput.ForQuery());
        Assert.Equal(2, arcticCounting.Calls);
        var again = await arcticCached.GenerateAsync([Texts[0]], EmbeddingInput.ForQuery());
        Assert.Equal(2, arcticCounting.Calls);
        Assert.Equal(models.ArcticXs.Embed([Texts[0]], true, out _)[0], again[0].Vector.ToArray());
    }

    [Fact]
    public async Task A_warm_cache_answers_without_loading_the_model()
    {
        using var cache = EmbeddingCache.Open(_dir.Path);
        using (var warming = new CachedEmbeddingGenerator(new CountingGenerator(models.MiniLm), cache))
            await warming.GenerateAsync(Texts);

        // As `bitsieve index` creates it: the built-in model behind the cache, not loaded until a text misses.
        using var cached = EmbeddingModels.Create(BuiltInModels.MiniLm, new EmbeddingModelOptions { Cache = cache });
        var onnx = cached.GetService<OnnxEmbeddingGenerator>()!;
        Assert.False(onnx.IsLoaded);
        Assert.Equal(models.MiniLm.Info, cached.GetService<EmbeddingModelInfo>());

        var hits = await cached.GenerateAsync(Texts);
        Assert.False(onnx.IsLoaded);
        for (int i = 0; i < Texts.Length; i++)
            Assert.Equal(models.MiniLm.Embed([Texts[i]], false, out _)[0], hits[i].Vector.ToArray());

        var miss = await cached.GenerateAsync(["A text the cache has not seen."]);
        Assert.True(onnx.IsLoaded);
        Assert.Equal(models.MiniLm.Embed(["A text the cache has not seen."], false, out _)[0], miss[0].Vector.ToArray());
    }

    [Fact]
    public void Two_writers_on_one_file_both_succeed()
    {
        // Two connections on one file, writing and reading at once, as two processes would (WAL + busy timeout).
        var vectors = Enumerable.Range(0, 200).Select(i => new ReadOnlyMemory<float>(Enumerable.Range(0, 8).Select(d => (float)(i * 10 + d)).ToArray())).ToArray();
        var texts = Enumerable.Range(0, 200).Select(i => $"text {i}").ToArray();
        using var a = EmbeddingCache.Open(_dir.Path);
        using var b = EmbeddingCache.Open(_dir.Path);
        Parallel.For(0, 40, i =>
        {
            var cache = i % 2 == 0 ? a : b;
            var slice = Enumerable.Range((i * 7) % 190, 10).ToArray();
            cache.PutMany("model-x", slice.Select(j => texts[j]).ToArray(), slice.Select(j => vectors[j]).ToArray());
            cache.GetMany("model-x", texts);
        });

        var found = b.GetMany("model-x", texts);
        for (int i = 0; i < texts.Length; i++)
        {
            if (found[i] is { } v) Assert.Equal(vectors[i].ToArray(), v);
        }
        Assert.Equal(found.Count(v => v is not null), a.Count("model-x"));
        Assert.True(a.Count("model-x") > 100);
        Assert.Equal(0, a.Count("another-model"));
    }

    [Fact]
    public void The_database_is_in_WAL_mode_at_the_documented_place()
    {
        using var cache = EmbeddingCache.Open(_dir.Path);
        Assert.Equal(Path.Combine(_dir.Path, "embeddings.sqlite"), cache.DatabasePath);
        cache.PutMany("m", ["a"], [new float[] { 1, 2, 3 }]);
        Assert.True(File.Exists(cache.DatabasePath + "-wal"));
        Assert.Equal([1f, 2f, 3f], cache.GetMany("m", ["a", "b"])[0]!);
        Assert.Null(cache.GetMany("m", ["a", "b"])[1]);
        Assert.Throws<InvalidOperationException>(() => cache.PutMany("m", ["c"], [new float[] { 1, 2 }]));
    }

    [Fact]
    public void The_default_folder_follows_BITSIEVE_CACHE_DIR_then_XDG_CACHE_HOME_then_home()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal("/tmp/bs-cache", EmbeddingCache.DefaultDirectory(name => name == "BITSIEVE_CACHE_DIR" ? "/tmp/bs-cache" : "/tmp/xdg"));
        Assert.Equal(Path.Combine("/tmp/xdg", "bitsieve"), EmbeddingCache.DefaultDirectory(name => name == "XDG_CACHE_HOME" ? "/tmp/xdg" : null));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(Path.Combine(home, ".cache", "bitsieve"), EmbeddingCache.DefaultDirectory(_ => null));
    }

    [Fact]
    public void The_content_key_is_the_xxhash128_of_the_exact_text()
    {
        Assert.Equal(16, EmbeddingCache.ContentHash("x").Length);
        Assert.Equal(EmbeddingCache.ContentHash("same"), EmbeddingCache.ContentHash("same"));
        Assert.NotEqual(EmbeddingCache.ContentHash("same"), EmbeddingCache.ContentHash("same "));
        var info = models.ArcticXs.Info;
        Assert.Equal(BuiltInModels.ArcticQueryPrefix + "q", info.Prepare("q", isQuery: true));
        Assert.Equal("q", info.Prepare("q", isQuery: false));
    }

    [Fact]
    public void A_generator_without_model_info_needs_one_given()
    {
        using var cache = EmbeddingCache.Open(_dir.Path);
        Assert.Throws<ArgumentException>(() => new CachedEmbeddingGenerator(new NoInfoGenerator(), cache));
        using var explicitInfo = new CachedEmbeddingGenerator(new NoInfoGenerator(), cache, new EmbeddingModelInfo("x", "x-1", 3, "", ""));
        Assert.Equal("x-1", explicitInfo.Model.Identity);
    }

    private sealed class NoInfoGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[] { 1, 0, 0 }))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
