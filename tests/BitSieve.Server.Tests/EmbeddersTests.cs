using BitSieve.Server.V1;

namespace BitSieve.Server.Tests;

public sealed class EmbeddersTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bitsieve-embedders-" + Guid.NewGuid().ToString("N"));

    public EmbeddersTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_failed_load_is_tried_again_on_the_next_request()
    {
        // A file where the cache folder should be: the cache, and so the model, cannot be opened.
        string cacheFolder = Path.Combine(_root, "cache");
        File.WriteAllText(cacheFolder, "in the way");
        using var embedders = new Embedders(new ServerOptions { EmbeddingCacheDirectory = cacheFolder });

        Assert.ThrowsAny<IOException>(() => embedders.Get("minilm"));
        Assert.ThrowsAny<IOException>(() => embedders.Get("minilm"));

        File.Delete(cacheFolder);
        var generator = embedders.Get("minilm");
        var vector = (await generator.GenerateAsync(["hello"]))[0].Vector;
        Assert.Equal(384, vector.Length);
        Assert.Same(generator, embedders.Get("minilm"));
        Assert.True(File.Exists(Path.Combine(cacheFolder, "embeddings.sqlite")));
    }
}
