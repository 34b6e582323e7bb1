using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

public partial class BitSieveCollection<TKey, TRecord>
{
    /// <summary>Records per engine page or write (the engine's own limit is 100,000).</summary>
    private const int PageSize = 1_000;

    /// <inheritdoc />
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        return (await RetrieveAsync([key], options?.IncludeVectors ?? false).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(IEnumerable<TKey> keys, RecordRetrievalOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        bool includeVectors = options?.IncludeVectors ?? false;
        foreach (var chunk in keys.Chunk(PageSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var record in await RetrieveAsync(chunk, includeVectors).ConfigureAwait(false)) yield return record;
        }
    }

    /// <summary>
    /// Records that match <paramref name="filter"/>: in key order (integer ids, then UUIDs), or sorted by
    /// <see cref="FilteredRecordRetrievalOptions{TRecord}.OrderBy"/>, which reads every matching record first.
    /// </summary>
    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new FilteredRecordRetrievalOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options));
        if (options.IncludeVectors && _model.EmbeddingGenerationRequired)
            throw new NotSupportedException(VectorDataStrings.IncludeVectorsNotSupportedWithEmbeddingGeneration);
        var payloadFilter = new BitSieveFilterTranslator().Translate(filter, _model, _mapper);
        var orderBy = options.OrderBy?.Invoke(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values ?? [];

        if (orderBy.Count == 0)
        {
            int skipped = 0;
            await foreach (var record in ScrollAsync(payloadFilter, options.IncludeVectors, options.Skip + top, cancellationToken).ConfigureAwait(false))
                if (skipped++ >= options.Skip) yield return record;
            yield break;
        }
        var all = new List<TRecord>();
        await foreach (var record in ScrollAsync(payloadFilter, options.IncludeVectors, int.MaxValue, cancellationToken).ConfigureAwait(false)) all.Add(record);
        foreach (var record in Sort(all, orderBy).Skip(options.Skip).Take(top))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }
    }

    /// <inheritdoc />
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return DeleteAsync([key], cancellationToken);
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        var ids = keys.Select(k => _mapper.ToPointId(k)).ToList();
        if (ids.Count == 0) return Task.CompletedTask;
        return OnCollectionAsync("Delete", async collection =>
        {
            foreach (var chunk in ids.Chunk(Collection.MaxBatch)) await collection.DeleteAsync(chunk).ConfigureAwait(false);
        });
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <summary>
    /// Upserts records: one durable engine write per 100,000 records, so a batch up to that size is applied whole or
    /// not at all. Vectors of a text vector property are generated first, in one call to the embedding generator.
    /// </summary>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records as IReadOnlyList<TRecord> ?? records.ToList();
        if (list.Count == 0) return;
        var vectors = new ReadOnlyMemory<float>[list.Count];
        if (_mapper.GeneratesVector)
        {
            var inputs = list.Select(r => _mapper.Vector.GetValueAsObject(r ?? throw new ArgumentException("A record is null.", nameof(records))));
            var embeddings = await _mapper.Vector.GenerateEmbeddingsAsync(inputs, cancellationToken).ConfigureAwait(false);
            if (embeddings.Count != list.Count)
                throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} embeddings for {list.Count} records.");
            for (int i = 0; i < list.Count; i++)
                vectors[i] = embeddings[i] is Embedding<float> embedding ? embedding.Vector
                    : throw new InvalidOperationException($"The embedding generator of '{_mapper.Vector.ModelName}' returned a {embeddings[i].GetType().Name}, not an Embedding<float>.");
        }
        else
        {
            for (int i = 0; i < list.Count; i++) vectors[i] = _mapper.StoredVector(list[i] ?? throw new ArgumentException("A record is null.", nameof(records)));
        }
        cancellationToken.ThrowIfCancellationRequested();

        var points = new Point[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            var record = list[i];
            if (_mapper.Key.IsAutoGenerated && _mapper.Key.Type == typeof(Guid) && (Guid?)_mapper.Key.GetValueAsObject(record) == Guid.Empty)
                _mapper.Key.SetValueAsObject(record, Guid.CreateVersion7());
            object? key = _mapper.Key.GetValueAsObject(record);
            if (vectors[i].Length != _mapper.Vector.Dimensions)
            {
                throw new ArgumentException(
                    $"The record with key '{key}' has a vector of {vectors[i].Length} dimensions in '{_mapper.Vector.ModelName}'; the collection's vectors have {_mapper.Vector.Dimensions}.",
                    nameof(records));
            }
            points[i] = new Point(_mapper.ToPointId(key), vectors[i], _mapper.ToPayload(record));
        }
        await OnCollectionAsync("Upsert", async collection =>
        {
            foreach (var chunk in points.Chunk(Collection.MaxBatch)) await collection.UpsertAsync(chunk).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task<List<TRecord>> RetrieveAsync(IReadOnlyCollection<TKey> keys, bool includeVectors)
    {
        if (includeVectors && _model.EmbeddingGenerationRequired)
            throw new NotSupportedException(VectorDataStrings.IncludeVectorsNotSupportedWithEmbeddingGeneration);
        var asked = keys.Select(k => (Key: (object)k, Id: _mapper.ToPointId(k))).ToList();
        var found = (await OnCollectionAsync("Get", collection => collection.RetrieveAsync(asked.Select(a => a.Id), withPayload: true, withVector: includeVectors)).ConfigureAwait(false))
            .ToDictionary(p => p.Id);
        var records = new List<TRecord>(found.Count);
        foreach (var (key, id) in asked)
        {
            if (!found.Remove(id, out var point)) continue;
            var payload = point.Payload ?? [];
            // A string key is stored as its UUID: the point must hold that very string.
            if (_mapper.HasStringKey && !Equals(_mapper.KeyOf(id, payload), key))
            {
                throw Failure("Get", $"Point {id} holds the string key '{_mapper.KeyOf(id, payload)}', not '{key}': a UUID collision, or a point written outside the connector.",
                    new InvalidDataException($"String key mismatch at point {id}."));
            }
            records.Add(_mapper.ToRecord<TRecord>(id, payload, point.Vector));
        }
        return records;
    }

    /// <summary>Matching records in key order, at most <paramref name="limit"/>, read a page at a time.</summary>
    private async IAsyncEnumerable<TRecord> ScrollAsync(Filter filter, bool includeVectors, int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PointId? offset = null;
        int produced = 0;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var from = offset;
            int size = (int)Math.Min(PageSize, (long)limit - produced);
            var page = await OnCollectionAsync("Get", collection => collection.ScrollAsync(from, size, filter, withPayload: true, withVector: includeVectors)).ConfigureAwait(false);
            foreach (var point in page.Points)
            {
                produced++;
                yield return _mapper.ToRecord<TRecord>(point.Id, point.Payload ?? [], point.Vector);
            }
            offset = page.NextOffset;
        }
        while (offset is not null && produced < limit);
    }

    private static IEnumerable<TRecord> Sort(IEnumerable<TRecord> records,
        IReadOnlyList<FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition.SortInfo> orderBy)
    {
        IOrderedEnumerable<TRecord>? sorted = null;
        foreach (var sort in orderBy)
        {
            var selector = sort.PropertySelector.Compile(preferInterpretation: true);
            sorted = (sorted, sort.Ascending) switch
            {
                (null, true) => records.OrderBy(selector, Comparer<object?>.Default),
                (null, false) => records.OrderByDescending(selector, Comparer<object?>.Default),
                ({ } s, true) => s.ThenBy(selector, Comparer<object?>.Default),
                ({ } s, false) => s.ThenByDescending(selector, Comparer<object?>.Default),
            };
        }
        return sorted ?? records;
    }
}
