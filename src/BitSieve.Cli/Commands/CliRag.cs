using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Pipeline;
using BitSieve.Ingest.Rag;
using Microsoft.Extensions.AI;

namespace BitSieve.Cli.Commands;

/// <summary>
/// The <see cref="RagService"/> of one command run: models loaded with the shared embedding cache (and the extraction
/// cache when indexing), disposed with it; a <see cref="ModelMismatchException"/> becomes a one-line usage error.
/// </summary>
internal sealed class CliRag : IDisposable
{
    private readonly List<IEmbeddingGenerator<string, Embedding<float>>> _loaded = [];
    private readonly ExtractionCache? _extractions;
    private EmbeddingCache? _cache;

    private readonly Database _database;

    public CliRag(Database database, bool indexing)
    {
        _database = database;
        _extractions = indexing ? ExtractionCache.Open(EmbeddingCache.DefaultDirectory()) : null;
        Service = new RagService(database, Load, new RagServiceOptions { Extractions = _extractions });
    }

    public RagService Service { get; }

    /// <summary>
    /// Opens <paramref name="name"/> (or, with <paramref name="create"/>, creates it for the model) with the model
    /// <paramref name="model"/> and <paramref name="precision"/> asked for on the command line; without either it uses
    /// the collection's own. A precision that disagrees with the stored one, or a model that makes other vectors, is a
    /// usage error naming both.
    /// </summary>
    public async Task<RagCollection> OpenAsync(string name, string? model, PrecisionRequest precision, bool create, CancellationToken cancellationToken)
    {
        var database = _database;
        var existing = database.CollectionExists(name) ? database.GetCollection(name) : null;
        if (existing is null && !create) throw new UsageException($"collection '{name}' does not exist in '{database.Path}'; run 'bitsieve index <folder>' first.");
        ModelRequest? request = null;
        if (model is not null || precision.Precision is not null || existing is null)
        {
            string modelName = model ?? existing?.GetProperty(FolderIndexer.ModelProperty) ?? EmbeddingModels.Default;
            request = new ModelRequest(modelName, PrecisionChoice.ForCollection(existing, precision, modelName).Stored);
        }
        return await Checked(create ? Service.OpenOrCreateAsync(name, request, cancellationToken) : Service.OpenAsync(name, request, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Awaits <paramref name="task"/>, turning a model mismatch into a usage error that says how to re-index.</summary>
    public static async Task<T> Checked<T>(Task<T> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (ModelMismatchException e) when (e.Bound is not null)
        {
            throw new UsageException($"collection '{e.Collection}' holds vectors of {e.Bound}, not of {e.Requested}: vectors of two models cannot be compared; "
                + "re-embed it with 'bitsieve index --reindex' (with the new --model or --precision) or use another --collection", e);
        }
        catch (ModelMismatchException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    private IEmbeddingGenerator<string, Embedding<float>> Load(string model, string precision)
    {
        if (!StoredPrecision.TryDecode(precision, out var plan))
            throw new UsageException($"unknown embedding precision '{StoredPrecision.Describe(precision)}'");
        _cache ??= EmbeddingCache.Open();
        var generator = EmbeddingModels.Create(model, PrecisionChoice.ModelOptions(new CollectionPrecision(precision, plan), _cache));
        _loaded.Add(generator);
        return generator;
    }

    public void Dispose()
    {
        foreach (var generator in _loaded) generator.Dispose();
        _cache?.Dispose();
        _extractions?.Dispose();
    }
}
