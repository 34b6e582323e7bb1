using BitSieve.Embeddings;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Chunking;
using BitSieve.Ingest.Loading;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Rag;

/// <summary>
/// Loads an embedding model by name and precision (stored form: <c>fp32</c>, <c>int8</c>, <c>auto</c> and a plan's
/// layers). The factory owns what it returns: <see cref="RagService"/> never disposes a generator.
/// </summary>
public delegate IEmbeddingGenerator<string, Embedding<float>> EmbedderFactory(string model, string precision);

/// <summary>An embedding model asked for: its name or path and its precision in the stored form (<c>fp32</c> unless given).</summary>
/// <param name="Model">The model's name or path, as <see cref="EmbeddingModels.Create"/> takes it.</param>
/// <param name="Precision">The precision (<c>fp32</c>, <c>int8</c>, or <c>auto</c> and the plan's layers).</param>
public sealed record ModelRequest(string Model, string Precision = StoredPrecision.Fp32);

/// <summary>What a <see cref="RagService"/> uses where the caller names nothing.</summary>
public sealed record RagServiceOptions
{
    /// <summary>The model of a new collection when none is asked for (all-MiniLM-L6-v2 unless set).</summary>
    public ModelRequest DefaultModel { get; init; } = new(EmbeddingModels.Default);

    /// <summary>The chunker of documents; the standard one when null.</summary>
    public TextChunker? Chunker { get; init; }

    /// <summary>A cache of extracted documents shared by folder indexing (a file's content is parsed once); none when null.</summary>
    public ExtractionCache? Extractions { get; init; }
}

/// <summary>
/// The retrieval use cases in one place, for every surface (the CLI's <c>index</c>, <c>search</c>, <c>ask</c>,
/// <c>eval</c>, the server's <c>/v1</c> on a single node and on a cluster silo, the samples): open or create a collection
/// bound to its embedding model, index folders and documents into it, search it (vector, lexical, hybrid), list and
/// delete its documents, and re-index it with another model. It works over <see cref="IDatabase"/> and
/// <see cref="IPointCollection"/>, so an embedded database and a cluster are served by the same code; only the re-index,
/// which swaps two collections of one database, needs an embedded <see cref="BitSieve.Database"/>. A collection stores its
/// <see cref="ModelBinding"/> when it is created (or first indexed); indexing or searching it with another model or
/// precision throws <see cref="ModelMismatchException"/> naming both.
/// </summary>
public sealed partial class RagService
{
    private readonly EmbedderFactory _embedders;
    private readonly Database? _embedded;

    /// <summary>
    /// Creates the service over <paramref name="database"/>: an embedded <see cref="BitSieve.Database"/> or a cluster;
    /// <paramref name="embedders"/> loads models (and keeps them).
    /// </summary>
    public RagService(IDatabase database, EmbedderFactory embedders, RagServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(embedders);
        Database = database;
        // The one operation that needs more than IDatabase: the re-index swaps two collections of one embedded database.
        _embedded = database as Database;
        _embedders = embedders;
        Options = options ?? new RagServiceOptions();
    }

    /// <summary>The database the collections live in.</summary>
    public IDatabase Database { get; }

    /// <summary>The defaults, chunker and extraction cache.</summary>
    public RagServiceOptions Options { get; }

    /// <summary>
    /// Opens the collection <paramref name="name"/>. Without <paramref name="model"/> it searches (and indexes) with the
    /// model it is bound to; with one that makes other vectors it throws <see cref="ModelMismatchException"/> naming both.
    /// A collection made before bindings were stored is bound to its <c>embedding_model</c> and <c>embedding_precision</c>
    /// properties (fp32 without the latter), or, without either, to nothing yet: its first indexing binds it.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such collection.</exception>
    public async Task<RagCollection> OpenAsync(string name, ModelRequest? model = null, CancellationToken cancellationToken = default) =>
        await OpenBoundAsync(await Database.GetCollectionAsync(name).ConfigureAwait(false), model, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Opens the collection <paramref name="name"/> as <see cref="OpenAsync"/> does, or creates it bound to
    /// <paramref name="model"/> (<see cref="RagServiceOptions.DefaultModel"/> when null) with the model's dimension.
    /// </summary>
    /// <exception cref="ArgumentException">An invalid collection name.</exception>
    public async Task<RagCollection> OpenOrCreateAsync(string name, ModelRequest? model = null, CancellationToken cancellationToken = default)
    {
        if (await Database.CollectionExistsAsync(name).ConfigureAwait(false)) return await OpenAsync(name, model, cancellationToken).ConfigureAwait(false);
        model ??= Options.DefaultModel;
        var (embedder, binding) = await LoadAsync(model, cancellationToken).ConfigureAwait(false);
        var collection = await Database.GetOrCreateCollectionAsync(name, new CollectionOptions { Dimension = binding.Dimension }).ConfigureAwait(false);
        // Created meanwhile by another request, which bound it: open it as it is.
        if (await ModelBinding.ReadAsync(collection).ConfigureAwait(false) is not null) return await OpenBoundAsync(collection, model, cancellationToken).ConfigureAwait(false);
        Check(collection, null, binding);
        await binding.WriteAsync(collection).ConfigureAwait(false);
        return new RagCollection(this, collection, binding, model, embedder, binding);
    }

    private async Task<RagCollection> OpenBoundAsync(IPointCollection collection, ModelRequest? model, CancellationToken cancellationToken)
    {
        var bound = await ModelBinding.ReadAsync(collection).ConfigureAwait(false);
        if (model is null) return new RagCollection(this, collection, bound, bound is null ? Options.DefaultModel : new ModelRequest(bound.Model, bound.Precision));
        var (embedder, binding) = await LoadAsync(model, cancellationToken).ConfigureAwait(false);
        Check(collection, bound, binding);
        return new RagCollection(this, collection, bound, model, embedder, binding);
    }

    /// <summary>Loads <paramref name="model"/> and its binding (asking it for one vector when it does not know its dimension yet).</summary>
    internal async Task<(IEmbeddingGenerator<string, Embedding<float>> Embedder, ModelBinding Binding)> LoadAsync(ModelRequest model, CancellationToken cancellationToken)
    {
        var embedder = _embedders(model.Model, model.Precision);
        var info = embedder.GetService<EmbeddingModelInfo>();
        int dimension = info?.Dimensions ?? 0;
        if (dimension == 0)
            dimension = (await embedder.GenerateAsync(["dimension probe"], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector.Length;
        return (embedder, ModelBinding.Of(model.Model, model.Precision, info, dimension));
    }

    /// <summary>Throws <see cref="ModelMismatchException"/> when <paramref name="binding"/> makes other vectors than <paramref name="collection"/> holds.</summary>
    internal static void Check(IPointCollection collection, ModelBinding? bound, ModelBinding binding)
    {
        if (bound is not null && !bound.SameVectors(binding)) throw new ModelMismatchException(collection.Name, bound, binding);
        if (binding.Dimension != collection.Options.Dimension) throw new ModelMismatchException(collection.Name, collection.Options.Dimension, binding);
    }
}
