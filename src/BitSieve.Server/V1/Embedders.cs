using System.Collections.Concurrent;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx.Quantization;
using Microsoft.Extensions.AI;

namespace BitSieve.Server.V1;

/// <summary>
/// The embedding models of the /v1 text API, loaded on first use and shared by every request (the generators are
/// thread-safe), with the shared embedding cache in front of each. A collection is searched with the model and the
/// precision it was indexed with (its <c>embedding_model</c> and <c>embedding_precision</c> properties); new
/// collections get the server's.
/// </summary>
public sealed class Embedders : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IEmbeddingGenerator<string, Embedding<float>>>> _models = new(StringComparer.Ordinal);
    private readonly string? _cacheDirectory;
    private readonly Lock _cacheGate = new();
    private EmbeddingCache? _cache;

    /// <summary>Creates the registry; <paramref name="options"/> names the model and the precision for new collections.</summary>
    public Embedders(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DefaultModel = string.IsNullOrWhiteSpace(options.EmbeddingModel) ? EmbeddingModels.Default : options.EmbeddingModel;
        DefaultPrecision = options.EmbeddingPrecision ?? StoredPrecision.Fp32;
        if (!StoredPrecision.TryDecode(DefaultPrecision, out _))
            throw new ArgumentException($"unknown embedding precision '{StoredPrecision.Describe(DefaultPrecision)}'", nameof(options));
        _cacheDirectory = options.EmbeddingCacheDirectory;
    }

    /// <summary>The model of new collections.</summary>
    public string DefaultModel { get; }

    /// <summary>The precision of new collections, in its stored form (<c>fp32</c> unless the server was given another).</summary>
    public string DefaultPrecision { get; }

    /// <summary>
    /// The generator for a model, loaded once. A load that fails (a model folder not there yet, a cache folder that
    /// cannot be created) is not remembered: the next request tries again, so the server recovers without a restart.
    /// </summary>
    /// <param name="model">The model's name or path.</param>
    /// <param name="precision">Its precision in the stored form (fp32 when omitted); an unknown one throws <see cref="InvalidDataException"/>.</param>
    public IEmbeddingGenerator<string, Embedding<float>> Get(string model, string precision = StoredPrecision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(precision);
        if (!StoredPrecision.TryDecode(precision, out var plan))
            throw new InvalidDataException($"unknown embedding precision '{StoredPrecision.Describe(precision)}'");
        string key = precision + "\0" + model;
        var entry = _models.GetOrAdd(key, _ => new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(
            () => EmbeddingModels.Create(model, new EmbeddingModelOptions
            {
                Cache = Cache(), Quantization = plan, RewrittenModelDirectory = plan is null ? null : _cacheDirectory ?? EmbeddingCache.DefaultDirectory(),
            })));
        try
        {
            return entry.Value;
        }
        catch
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<IEmbeddingGenerator<string, Embedding<float>>>>(key, entry));
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
