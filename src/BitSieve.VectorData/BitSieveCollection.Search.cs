using System.Runtime.CompilerServices;
using BitSieve.Search;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

public partial class BitSieveCollection<TKey, TRecord>
{
    /// <summary>
    /// Vector search. <paramref name="searchValue"/> is a vector (<see cref="ReadOnlyMemory{T}"/> of float, float[],
    /// <see cref="Embedding{T}"/>) or, with an embedding generator configured, its input (a string). Pass
    /// <see cref="BitSieveVectorSearchOptions{TRecord}"/> to set the quality target or receive the cascade's trace.
    /// </summary>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new VectorSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options));
        if (options.IncludeVectors && _model.EmbeddingGenerationRequired)
            throw new NotSupportedException(VectorDataStrings.IncludeVectorsNotSupportedWithEmbeddingGeneration);
        var vectorProperty = _model.GetVectorPropertyOrSingle(options);
        var query = await QueryVectorAsync(searchValue, vectorProperty, cancellationToken).ConfigureAwait(false);
        var filter = options.Filter is null ? null : new BitSieveFilterTranslator().Translate(options.Filter, _model, _mapper);
        var bitSieve = options as BitSieveVectorSearchOptions<TRecord>;
        var searchOptions = SearchOptionsFor(vectorProperty, top + options.Skip, bitSieve?.Quality);
        cancellationToken.ThrowIfCancellationRequested();

        var result = await OnCollectionAsync("Search", collection => collection.SearchAsync(query, searchOptions, filter, withPayload: true, withVector: options.IncludeVectors)).ConfigureAwait(false);
        _options.SearchTrace?.Invoke(result.Trace);
        bitSieve?.Trace?.Invoke(result.Trace);
        foreach (var hit in result.Hits.Skip(options.Skip))
        {
            double score = VectorSettings.Score(vectorProperty, hit.Score);
            if (options.ScoreThreshold is { } threshold && (VectorSettings.HigherIsBetter(vectorProperty) ? score < threshold : score > threshold)) continue;
            yield return new VectorSearchResult<TRecord>(_mapper.ToRecord<TRecord>(hit.Id, hit.Payload ?? [], hit.Vector), score);
        }
    }

    private SearchOptions SearchOptionsFor(VectorPropertyModel vectorProperty, int k, Quality? quality) => new()
    {
        K = k,
        Quality = quality ?? (VectorSettings.IsExactIndex(vectorProperty) ? Quality.Exact : _options.Quality ?? Quality.Default),
        Threads = _options.SearchThreads,
    };

    private static async Task<ReadOnlyMemory<float>> QueryVectorAsync<TInput>(TInput searchValue, VectorPropertyModel vectorProperty, CancellationToken cancellationToken)
    {
        var vector = searchValue switch
        {
            ReadOnlyMemory<float> memory => memory,
            float[] array => array,
            Embedding<float> embedding => embedding.Vector,
            _ when vectorProperty.EmbeddingGenerator is not null
                => await vectorProperty.GenerateEmbeddingAsync(searchValue, cancellationToken).ConfigureAwait(false) switch
                {
                    Embedding<float> generated => generated.Vector,
                    var other => throw new InvalidOperationException($"The embedding generator of '{vectorProperty.ModelName}' returned a {other.GetType().Name}, not an Embedding<float>."),
                },
            _ => throw new NotSupportedException(VectorDataStrings.InvalidSearchInputAndNoEmbeddingGeneratorWasConfigured(searchValue!.GetType(), BitSieveModelBuilder.SupportedVectorTypes)),
        };
        if (vector.Length != vectorProperty.Dimensions)
            throw new ArgumentException($"The query vector has {vector.Length} dimensions; '{vectorProperty.ModelName}' has {vectorProperty.Dimensions}.", nameof(searchValue));
        return vector;
    }
}
