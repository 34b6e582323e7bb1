using System.Collections.Concurrent;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using Microsoft.Extensions.AI;

namespace BitSieve.Server.V1;

/// <summary>
/// The embedding models of the /v1 text API, loaded on first use and shared by every request (the generators are
/// thread-safe), with the shared embedding cache in front of each. A collection is searched with the model it was
/// indexed with (its <c>embedding_model</c> property); new collections get the server's model.
/// </summary>
public sealed class Embedders : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IEmbeddingGenerator<string, Embedding<float>>>> _models = new(StringComparer.Ordinal);
    private readonly string? _cacheDirectory;
    private readonly Lock _cacheGate = new();
    private EmbeddingCache? _cache;

    /// <summary>Creates the registry; <paramref name="options"/> names the model for new collections.</summary>
    public Embedders(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DefaultModel = string.IsNullOrWhiteSpace(options.EmbeddingModel) ? EmbeddingModels.Default : options.EmbeddingModel;
        _cacheDirectory = options.EmbeddingCacheDirectory;
    }

    /// <summary>The model of new collections.</summary>
    public string DefaultModel { get; }

    /// <summary>
    /// The generator for a model, loaded once. A load that fails (a model folder not there yet, a cache folder that
    /// cannot be created) is not remembered: the next request tries again, so the server recovers without a restart.
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>> Get(string model)
    {
        var entry = _models.GetOrAdd(model, name => new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(
            () => EmbeddingModels.Create(name, new EmbeddingModelOptions { Cache = Cache() })));
        try
        {
            return entry.Value;
        }
        catch
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<IEmbeddingGenerator<string, Embedding<float>>>>(model, entry));
            throw;
        }
    }

    private EmbeddingCache Cache()
    {
        lock (_cacheGate) return _cache ??= EmbeddingCache.Open(_cacheDirectory);
    }

    /// <summary>Disposes the loaded models and the cache.</summary>
    public void Dispose()
    {
        foreach (var model in _models.Values)
            if (model.IsValueCreated) model.Value.Dispose();
        lock (_cacheGate) _cache?.Dispose();
    }
}
