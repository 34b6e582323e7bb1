using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings.Caching;

/// <summary>
/// Wraps a BitSieve generator with an <see cref="EmbeddingCache"/>: a text embedded once by a model is never embedded
/// by it again, in this process or any other using the same cache file. The key is the model's
/// <see cref="EmbeddingModelInfo.Identity"/> plus the hash of <see cref="EmbeddingModelInfo.Prepare"/>'s text, so a
/// query and the same text as a document are different entries when the model prefixes queries.
/// </summary>
/// <remarks>
/// Calls that ask for another model or another number of dimensions than the wrapped one's
/// (<see cref="EmbeddingGenerationOptions.ModelId"/>, <see cref="EmbeddingGenerationOptions.Dimensions"/>) bypass
/// the cache. The cache is not disposed with this generator; the wrapped generator is.
/// </remarks>
public sealed class CachedEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingCache _cache;
    private long _hits;
    private long _misses;

    /// <summary>Wraps <paramref name="innerGenerator"/>, whose <see cref="EmbeddingModelInfo"/> (or <paramref name="model"/>) names the cache entries.</summary>
    /// <exception cref="ArgumentException">The inner generator does not describe its model and none is given.</exception>
    public CachedEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, EmbeddingCache cache, EmbeddingModelInfo? model = null)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        Model = model ?? innerGenerator.GetService<EmbeddingModelInfo>()
            ?? throw new ArgumentException("The generator does not report an EmbeddingModelInfo; pass one to key the cache.", nameof(model));
    }

    /// <summary>The model whose identity keys the entries.</summary>
    public EmbeddingModelInfo Model { get; }

    /// <summary>The cache in use.</summary>
    public EmbeddingCache Cache => _cache;

    /// <summary>Texts answered from the cache so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Texts passed to the inner generator so far.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options is not null
            && ((options.ModelId is { } id && id != Model.Name) || (options.Dimensions is { } d && d != Model.Dimensions)))
        {
            return await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        }

        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        bool isQuery = EmbeddingInput.IsQuery(options);
        var prepared = new string[texts.Count];
        for (int i = 0; i < texts.Count; i++) prepared[i] = Model.Prepare(texts[i], isQuery);

        var found = _cache.GetMany(Model.Identity, prepared);

        // Each distinct missing text goes to the model once, even when the call repeats it.
        var missing = new List<int>();
        var firstOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < texts.Count; i++)
        {
            if (found[i] is null && firstOf.TryAdd(prepared[i], missing.Count)) missing.Add(i);
        }

        Interlocked.Add(ref _hits, texts.Count - missing.Count);
        Interlocked.Add(ref _misses, missing.Count);
        UsageDetails? usage = null;
        if (missing.Count > 0)
        {
            var generated = await base.GenerateAsync(missing.Select(i => texts[i]).ToArray(), options, cancellationToken).ConfigureAwait(false);
            if (generated.Count != missing.Count)
                throw new InvalidOperationException($"The embedding generator returned {generated.Count} vectors for {missing.Count} texts.");
            usage = generated.Usage;
            _cache.PutMany(Model.Identity, missing.Select(i => prepared[i]).ToArray(), generated.Select(e => e.Vector).ToArray());
            for (int i = 0; i < texts.Count; i++)
            {
                if (found[i] is null) found[i] = generated[firstOf[prepared[i]]].Vector.ToArray();
            }
        }

        var now = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count) { Usage = usage };
        foreach (var vector in found) result.Add(new Embedding<float>(vector!) { ModelId = Model.Name, CreatedAt = now });
        return result;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(EmbeddingModelInfo)) return Model;
        return base.GetService(serviceType, serviceKey);
    }
}
