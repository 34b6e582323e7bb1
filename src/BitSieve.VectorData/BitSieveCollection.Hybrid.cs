using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

public partial class BitSieveCollection<TKey, TRecord>
{
    /// <summary>
    /// Hybrid search: the vector search and a BM25 keyword search over the full-text property each rank their best
    /// candidates, fused by each list's confidence in the query (as <c>Collection.SearchHybrid</c>);
    /// scores are the fused scores, higher is better. The keywords are joined into one query (English words stemmed, CJK text as bigrams).
    /// </summary>
    public async IAsyncEnumerable<VectorSearchResult<TRecord>> HybridSearchAsync<TInput>(TInput searchValue, ICollection<string> keywords, int top,
        HybridSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TInput : notnull
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentNullException.ThrowIfNull(keywords);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new HybridSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options));
        if (options.IncludeVectors && _model.EmbeddingGenerationRequired)
            throw new NotSupportedException(VectorDataStrings.IncludeVectorsNotSupportedWithEmbeddingGeneration);
        var vectorProperty = _model.GetVectorPropertyOrSingle(new VectorSearchOptions<TRecord> { VectorProperty = options.VectorProperty });
        var textProperty = _model.GetFullTextDataPropertyOrSingle(options.AdditionalProperty);
        if (textProperty != _textProperty)
            throw new NotSupportedException($"Property '{textProperty.ModelName}' is not the collection's full-text field.");
        var query = await QueryVectorAsync(searchValue, vectorProperty, cancellationToken).ConfigureAwait(false);
        var filter = options.Filter is null ? null : new BitSieveFilterTranslator().Translate(options.Filter, _model, _mapper);
        var bitSieve = options as BitSieveHybridSearchOptions<TRecord>;
        int k = top + options.Skip;
        var searchOptions = SearchOptionsFor(vectorProperty, k, bitSieve?.Quality);
        int candidates = Math.Max(k, bitSieve?.Candidates ?? _options.HybridCandidates);
        string text = string.Join(' ', keywords);
        cancellationToken.ThrowIfCancellationRequested();

        var result = await OnCollectionAsync("HybridSearch", collection =>
            collection.SearchHybridAsync(query, text, searchOptions, filter, withPayload: true, withVector: options.IncludeVectors, candidates: candidates)).ConfigureAwait(false);
        _options.SearchTrace?.Invoke(result.Trace);
        bitSieve?.Trace?.Invoke(result.Trace);
        foreach (var hit in result.Hits.Skip(options.Skip))
        {
            if (options.ScoreThreshold is { } threshold && hit.Score < threshold) continue;
            yield return new VectorSearchResult<TRecord>(_mapper.ToRecord<TRecord>(hit.Id, hit.Payload ?? [], hit.Vector), hit.Score);
        }
    }
}
