using BitSieve.Embeddings;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Pipeline;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Rag;

/// <summary>
/// A collection opened by <see cref="RagService"/> with the model it is searched and indexed with. The model is loaded
/// on first use (a lexical search needs none) and checked against the collection's <see cref="ModelBinding"/> before
/// anything is embedded: a mismatch throws <see cref="ModelMismatchException"/>. Not for concurrent writes from several
/// threads; searches may run concurrently.
/// </summary>
public sealed class RagCollection
{
    private readonly RagService _service;
    private readonly ModelRequest _model;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private ModelBinding? _binding;

    internal RagCollection(RagService service, IPointCollection collection, ModelBinding? bound, ModelRequest model,
        IEmbeddingGenerator<string, Embedding<float>>? embedder = null, ModelBinding? binding = null)
    {
        _service = service;
        Collection = collection;
        Bound = bound;
        _model = model;
        _embedder = embedder;
        _binding = binding;
    }

    /// <summary>The collection: an embedded one, or a cluster's.</summary>
    public IPointCollection Collection { get; }

    /// <summary>The model its vectors were made with, as stored; null while it names none (its first indexing binds it).</summary>
    public ModelBinding? Bound { get; private set; }

    /// <summary>The name of the model searches embed with: the bound one, or the one asked for.</summary>
    public string ModelName => _model.Model;

    /// <summary>The one language the model was trained on (<see cref="EmbeddingModelInfo.Language"/>); null for a multilingual or unknown one, or before the model is loaded.</summary>
    public string? ModelLanguage => _embedder?.GetService<EmbeddingModelInfo>()?.Language;

    /// <summary>
    /// Indexes <paramref name="folder"/> (incrementally: only new or changed files are embedded; files gone from it are
    /// removed) with the collection's model, binding the collection to it first if it names none yet.
    /// </summary>
    public async Task<IndexReport> IndexFolderAsync(string folder, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var embedder = await BindForWritingAsync(cancellationToken).ConfigureAwait(false);
        return await Indexer(embedder).IndexAsync(folder, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Indexes one document held in memory under <paramref name="source"/>, replacing that source's chunks; returns its
    /// number of chunks. See <see cref="FolderIndexer.IndexDocumentAsync"/>.
    /// </summary>
    public async Task<int> IndexDocumentAsync(ExtractedDocument document, string source, string contentHash, CancellationToken cancellationToken = default)
    {
        var embedder = await BindForWritingAsync(cancellationToken).ConfigureAwait(false);
        return await Indexer(embedder).IndexDocumentAsync(document, source, contentHash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Embeds <paramref name="query"/> with the collection's model (unless the search is lexical) and searches.</summary>
    public async Task<PointSearchResult> SearchAsync(string query, RagSearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= new RagSearchOptions();
        if (options.Mode == RagSearchMode.Lexical) return await SearchEmbeddedAsync(query, default, options).ConfigureAwait(false);
        var vectors = await EmbedQueriesAsync([query], cancellationToken).ConfigureAwait(false);
        return await SearchEmbeddedAsync(query, vectors[0], options).ConfigureAwait(false);
    }

    /// <summary>The query vectors of <paramref name="queries"/> with the collection's model, for <see cref="SearchEmbeddedAsync"/> (an evaluation embeds its set once).</summary>
    public async Task<ReadOnlyMemory<float>[]> EmbedQueriesAsync(IReadOnlyList<string> queries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var embedder = await EmbedderAsync(cancellationToken).ConfigureAwait(false);
        var embeddings = await embedder.GenerateAsync(queries, EmbeddingInput.ForQuery(), cancellationToken).ConfigureAwait(false);
        return [.. embeddings.Select(e => e.Vector)];
    }

    /// <summary>
    /// Searches with a query vector made by <see cref="EmbedQueriesAsync"/> (ignored by a lexical search): the one place
    /// every surface's vector, lexical and hybrid searches go through. Hybrid fuses both lists (<see cref="BitSieve.Collection.SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/>)
    /// and lets an English-only model's vectors only fill up BM25's list for a question in Chinese or Japanese.
    /// </summary>
    public Task<PointSearchResult> SearchEmbeddedAsync(string query, ReadOnlyMemory<float> vector, RagSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mode == RagSearchMode.Lexical) return Collection.SearchTextAsync(query, options.Search.K, options.Filter);
        if (_binding is null) throw new InvalidOperationException("embed the query with EmbedQueriesAsync first");
        int dimension = Collection.Options.Dimension;
        if (vector.Length != dimension)
            throw new ArgumentException($"the query vector has {vector.Length} dimensions, but collection '{Collection.Name}' holds {dimension}-dimensional ones", nameof(vector));
        return options.Mode == RagSearchMode.Vector
            ? Collection.SearchAsync(vector, options.Search, options.Filter)
            : Collection.SearchHybridAsync(vector, query, options.Search, options.Filter,
                vectorWeight: BitSieve.Collection.HybridVectorWeight(query, ModelLanguage));
    }

    /// <summary>The documents the collection holds chunks of, by source (ordinal order).</summary>
    public async Task<IReadOnlyList<IndexedDocument>> DocumentsAsync()
    {
        var documents = new SortedDictionary<string, (string? Hash, int Chunks)>(StringComparer.Ordinal);
        PointId? offset = null;
        do
        {
            var page = await Collection.ScrollAsync(offset, 1000).ConfigureAwait(false);
            foreach (var point in page.Points)
            {
                if (ChunkPayload.Read(point.Payload) is not { } chunk) continue;
                var (hash, chunks) = documents.GetValueOrDefault(chunk.Source);
                documents[chunk.Source] = (hash ?? chunk.FileHash, chunks + 1);
            }
            offset = page.NextOffset;
        }
        while (offset is not null);
        return [.. documents.Select(d => new IndexedDocument(d.Key, d.Value.Hash, d.Value.Chunks))];
    }

    /// <summary>Removes the chunks of the document <paramref name="source"/>; returns how many there were.</summary>
    public async Task<long> DeleteDocumentAsync(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        var chunks = ChunkPayload.BySource(source);
        long count = await Collection.CountPointsAsync(chunks).ConfigureAwait(false);
        if (count > 0) await Collection.DeleteAsync(chunks).ConfigureAwait(false);
        return count;
    }

    private FolderIndexer Indexer(IEmbeddingGenerator<string, Embedding<float>> embedder) =>
        new(Collection, embedder, _service.Options.Chunker, _service.Options.Extractions);

    /// <summary>The model, loaded once and checked against the binding.</summary>
    private async Task<IEmbeddingGenerator<string, Embedding<float>>> EmbedderAsync(CancellationToken cancellationToken)
    {
        if (_embedder is { } loaded) return loaded;
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_embedder is null)
            {
                var (embedder, binding) = await _service.LoadAsync(_model, cancellationToken).ConfigureAwait(false);
                RagService.Check(Collection, Bound, binding);
                _binding = binding;
                _embedder = embedder;
            }
            return _embedder;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>The model for a write: a collection that names none yet, or only by name, gets the whole binding stored first.</summary>
    private async Task<IEmbeddingGenerator<string, Embedding<float>>> BindForWritingAsync(CancellationToken cancellationToken)
    {
        var embedder = await EmbedderAsync(cancellationToken).ConfigureAwait(false);
        if (Bound?.Identity is null)
        {
            await _binding!.WriteAsync(Collection).ConfigureAwait(false);
            Bound = _binding;
        }
        return embedder;
    }
}
