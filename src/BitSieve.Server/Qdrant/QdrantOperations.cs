using BitSieve.Server.Http;
using BitSieve.Server.Metrics;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Qdrant;

/// <summary>
/// The operations of Qdrant's API, one implementation under both transports and on every host: the REST handlers
/// (<see cref="QdrantApi"/>) and the gRPC services (<c>Grpc/QdrantGrpcService</c>) read their requests into the records
/// of <c>Models/</c> and call these, then write the answer in their own wire format. They run over the
/// <see cref="IDatabase"/> the host serves: a single node's embedded <see cref="Database"/>, or a cluster silo's view
/// of the whole cluster, so a silo answers a request as a single node does. The server's limits (response budget,
/// points per request) and the mapping of the engine's failures onto Qdrant's errors (<see cref="ApiException"/>, which
/// the gRPC side turns into status codes) are applied here, so every transport and host answers the same request the
/// same way. (A cluster's own failure, a shard with no live replica, is the silo's to map: 503.)
/// </summary>
internal sealed class QdrantOperations(IDatabase db, ServerOptions options, ServerMetrics metrics)
{
    /// <summary>The server's limits.</summary>
    public ServerOptions Options => options;

    /// <summary>Throws the 404 when the collection does not exist (REST resolves it before reading the body).</summary>
    public async Task EnsureExistsAsync(string name) => await GetAsync(name).ConfigureAwait(false);

    /// <summary>The collections' names.</summary>
    public Task<IReadOnlyList<string>> ListCollectionsAsync() => db.CollectionNamesAsync();

    /// <summary>Qdrant's <c>CollectionInfo</c> of a collection; 404 when it does not exist.</summary>
    public async Task<Models.CollectionInfo> GetCollectionAsync(string name)
    {
        var collection = await GetAsync(name).ConfigureAwait(false);
        var info = await Engine(collection.InfoAsync).ConfigureAwait(false);
        return Models.CollectionInfo.From(info, await Engine(() => PointsPerIndexedFieldAsync(collection, info)).ConfigureAwait(false));
    }

    /// <summary>
    /// Creates a collection: 422 for an invalid name (also one the host cannot hold: a cluster's are shorter), 400 when
    /// it exists or the host refuses its options or sharding.
    /// </summary>
    public async Task CreateCollectionAsync(string name, CreateCollection create)
    {
        if (!Database.IsValidName(name))
            throw InvalidName($"`{name}` is not a valid collection name: use 1–255 letters, digits, '_', '-' or '.', not starting with '.'");
        try
        {
            await db.CreateCollectionAsync(name, create.Options, create.ShardNumber, create.ReplicationFactor, create.WriteConsistencyFactor).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            if (!await db.CollectionExistsAsync(name).ConfigureAwait(false)) throw;
            throw ApiException.WrongInput($"Collection `{name}` already exists!");
        }
        catch (ArgumentException e) when (e.ParamName == nameof(name))
        {
            throw InvalidName(e.Message);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    private static ApiException InvalidName(string reason) =>
        new(StatusCodes.Status422UnprocessableEntity, $"Validation error in path parameters: [collection_name: {reason}]");

    /// <summary>Deletes a collection; false when there was none (as Qdrant).</summary>
    public async Task<bool> DeleteCollectionAsync(string name) => Database.IsValidName(name) && await db.DeleteCollectionAsync(name).ConfigureAwait(false);

    /// <summary>Whether the collection exists.</summary>
    public Task<bool> CollectionExistsAsync(string name) => db.CollectionExistsAsync(name);

    /// <summary>Creates a payload index.</summary>
    public Task<UpdateResult> CreateFieldIndexAsync(string name, CreateFieldIndex index) =>
        WriteAsync(name, collection => collection.CreatePayloadIndexAsync(index.FieldName, index.Schema));

    /// <summary>Deletes a payload index.</summary>
    public Task<UpdateResult> DeleteFieldIndexAsync(string name, string field) =>
        WriteAsync(name, collection => collection.DeletePayloadIndexAsync(field));

    /// <summary>Inserts or replaces points; every vector must have the collection's dimension.</summary>
    public Task<UpdateResult> UpsertAsync(string name, IReadOnlyList<Point> points)
    {
        CheckCount(points.Count, "points");
        return WriteAsync(name, collection =>
        {
            for (int i = 0; i < points.Count; i++)
                if (points[i].Vector.Length != collection.Options.Dimension)
                    throw ApiException.WrongInput($"Vector dimension error: expected dim: {collection.Options.Dimension}, got {points[i].Vector.Length}");
            return collection.UpsertAsync(points);
        });
    }

    /// <summary>Deletes points by ids (unknown ids are ignored) or by filter.</summary>
    public Task<UpdateResult> DeleteAsync(string name, PointSelector selector)
    {
        CheckSelector(selector);
        return WriteAsync(name, collection => selector.Filter is { } filter ? collection.DeleteAsync(filter) : collection.DeleteAsync(selector.Ids!));
    }

    /// <summary>Sets payload keys, keeping the others; ids that do not exist are a 404 naming the first.</summary>
    public Task<UpdateResult> SetPayloadAsync(string name, SetPayload set) => ChangePayloadAsync(name, set.Points, c => c.SetPayloadAsync(set.Points, set.Payload));

    /// <summary>Replaces whole payloads; ids that do not exist are a 404 naming the first.</summary>
    public Task<UpdateResult> OverwritePayloadAsync(string name, SetPayload set) => ChangePayloadAsync(name, set.Points, c => c.OverwritePayloadAsync(set.Points, set.Payload));

    /// <summary>Removes payload keys; ids that do not exist are a 404 naming the first.</summary>
    public Task<UpdateResult> DeletePayloadAsync(string name, DeletePayload delete) => ChangePayloadAsync(name, delete.Points, c => c.DeletePayloadKeysAsync(delete.Points, delete.Keys));

    /// <summary>Empties payloads; ids that do not exist are a 404 naming the first.</summary>
    public Task<UpdateResult> ClearPayloadAsync(string name, PointSelector selector) => ChangePayloadAsync(name, selector, c => c.ClearPayloadAsync(selector));

    /// <summary>Points by id (unknown ids are left out), within the response budget.</summary>
    public async Task<IReadOnlyList<PointRecord>> RetrieveAsync(string name, PointRequest request)
    {
        CheckCount(request.Ids.Count, "ids");
        var collection = await GetAsync(name).ConfigureAwait(false);
        await CheckBudgetAsync(collection, "this retrieval", [(request.Ids.Count, request.WithPayload.Enabled, request.WithVector)]).ConfigureAwait(false);
        return await Engine(() => collection.RetrieveAsync(request.Ids, request.WithPayload.Enabled, request.WithVector)).ConfigureAwait(false);
    }

    /// <summary>One point with its payload and vector; 404 when there is none.</summary>
    public async Task<PointRecord> GetPointAsync(string name, PointId id)
    {
        var collection = await GetAsync(name).ConfigureAwait(false);
        var found = await Engine(() => collection.RetrieveAsync([id], withPayload: true, withVector: true)).ConfigureAwait(false);
        return found.Count == 0 ? throw ApiException.NotFound($"No point with id {JsonValues.Text(id)} found") : found[0];
    }

    /// <summary>A page of points in id order, within the response budget.</summary>
    public async Task<ScrollPage> ScrollAsync(string name, ScrollRequest scroll)
    {
        var collection = await GetAsync(name).ConfigureAwait(false);
        await CheckBudgetAsync(collection, "this scroll page", [(scroll.Limit, scroll.WithPayload.Enabled, scroll.WithVector)]).ConfigureAwait(false);
        return await Engine(() => collection.ScrollAsync(scroll.Offset, scroll.Limit, scroll.Filter, scroll.WithPayload.Enabled, scroll.WithVector)).ConfigureAwait(false);
    }

    /// <summary>The exact number of points matching the filter.</summary>
    public async Task<long> CountAsync(string name, CountRequest count)
    {
        var collection = await GetAsync(name).ConfigureAwait(false);
        return await Engine(() => collection.CountPointsAsync(count.Filter)).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs searches (one, or a batch: at most <see cref="ServerOptions.MaxBatchSearches"/>) after checking that their
    /// answers fit the response budget, before any of them runs; <paramref name="what"/> names the request in that error.
    /// </summary>
    public async Task<List<List<global::BitSieve.ScoredPoint>>> SearchAsync(string name, IReadOnlyList<VectorSearch> searches, string what)
    {
        if (searches.Count > options.MaxBatchSearches)
            throw ApiException.Limit($"the batch holds {searches.Count} searches; this server accepts at most {options.MaxBatchSearches} per batch");
        var collection = await GetAsync(name).ConfigureAwait(false);
        await CheckBudgetAsync(collection, what, [.. searches.Select(s => ((long)s.Offset + s.Limit, s.WithPayload.Enabled, s.WithVector))]).ConfigureAwait(false);
        var results = new List<List<global::BitSieve.ScoredPoint>>(searches.Count);
        foreach (var search in searches) results.Add(await RunAsync(collection, search).ConfigureAwait(false));
        return results;
    }

    /// <summary>Runs one search: the engine's top offset+limit, then the offset and the score threshold applied.</summary>
    private async Task<List<global::BitSieve.ScoredPoint>> RunAsync(IPointCollection collection, VectorSearch search)
    {
        if (search.Vector.Length != collection.Options.Dimension)
            throw ApiException.WrongInput($"Vector dimension error: expected dim: {collection.Options.Dimension}, got {search.Vector.Length}");
        var result = await Engine(() => collection.SearchAsync(search.Vector, search.Params.ToOptions(search.Offset + search.Limit), search.Filter, search.WithPayload.Enabled, search.WithVector)).ConfigureAwait(false);
        metrics.Search(collection.Name, search.Params.Mode, result.Trace);
        IEnumerable<global::BitSieve.ScoredPoint> hits = result.Hits.Skip(search.Offset);
        if (search.ScoreThreshold is { } threshold)
            hits = collection.Options.Metric == Metric.Euclidean ? hits.Where(h => h.Score <= threshold) : hits.Where(h => h.Score >= threshold);
        return hits.ToList();
    }

    /// <summary>An existing collection; a 404 in Qdrant's words when there is none.</summary>
    private async Task<IPointCollection> GetAsync(string name)
    {
        if (!Database.IsValidName(name)) throw ApiException.CollectionNotFound(name);
        try
        {
            return await db.GetCollectionAsync(name).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            throw ApiException.CollectionNotFound(name);
        }
    }

    private async Task<UpdateResult> ChangePayloadAsync(string name, PointSelector selector, Func<IPointCollection, Task<long>> change)
    {
        CheckSelector(selector);
        return await WriteAsync(name, async collection =>
        {
            await CheckExistAsync(collection, selector).ConfigureAwait(false);
            return await change(collection).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Applies a write; its answer carries the write's operation id.</summary>
    private async Task<UpdateResult> WriteAsync(string name, Func<IPointCollection, Task<long>> write)
    {
        var collection = await GetAsync(name).ConfigureAwait(false);
        return UpdateResult.Completed(await Engine(() => write(collection)).ConfigureAwait(false));
    }

    /// <summary>
    /// An engine call, its refusals in Qdrant's words, the same on every host: the input (an
    /// <see cref="ArgumentException"/> or <see cref="FormatException"/>) 400 <c>Wrong input</c>; a collection deleted
    /// meanwhile (<see cref="KeyNotFoundException"/>) 404.
    /// </summary>
    private static async Task<T> Engine<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw ApiException.WrongInput(e.Message);
        }
        catch (KeyNotFoundException e)
        {
            throw ApiException.NotFound(e.Message);
        }
    }

    /// <summary>
    /// Throws the 400 when the answer could exceed the response budget. The collection's description (a round over
    /// every shard, on a cluster) is read only when the bound without it, every point counted without its payload, does
    /// not settle it.
    /// </summary>
    private async Task CheckBudgetAsync(IPointCollection collection, string what, IReadOnlyList<(long Points, bool WithPayload, bool WithVector)> parts)
    {
        long dimension = collection.Options.Dimension;
        if (parts.All(p => !p.WithPayload) && parts.Sum(p => p.Points * (ResponseBudget.PointOverhead + (p.WithVector ? dimension * sizeof(float) : 0))) <= options.MaxResponseBytes)
            return;
        var budget = new ResponseBudget(await Engine(collection.InfoAsync).ConfigureAwait(false), options, what);
        foreach (var (points, withPayload, withVector) in parts) budget.Add(points, withPayload, withVector);
        budget.Check();
    }

    private void CheckSelector(PointSelector selector)
    {
        if (selector.Ids is { } ids) CheckCount(ids.Count, "ids");
    }

    private void CheckCount(int count, string what)
    {
        if (count > options.MaxPointsPerRequest)
            throw ApiException.Limit($"the request holds {count} {what}; this server accepts at most {options.MaxPointsPerRequest} per request: split it into batches");
    }

    /// <summary>As Qdrant, a payload change addressed to ids that do not exist is a 404 naming the first.</summary>
    private static async Task CheckExistAsync(IPointCollection collection, PointSelector selector)
    {
        if (selector.Ids is not { Count: > 0 } ids) return;
        var found = (await collection.RetrieveAsync(ids, withPayload: false, withVector: false).ConfigureAwait(false)).Select(p => p.Id).ToHashSet();
        foreach (var id in ids)
            if (!found.Contains(id)) throw ApiException.NotFound($"No point with id {JsonValues.Text(id)} found");
    }

    /// <summary>How many points hold a value at each indexed key (Qdrant's <c>payload_schema.*.points</c>).</summary>
    private static async Task<Dictionary<string, long>> PointsPerIndexedFieldAsync(IPointCollection collection, global::BitSieve.CollectionInfo info)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string field in info.PayloadIndexes.Keys)
        {
            try
            {
                var notEmpty = new Filter(MustNot: [new IsEmptyCondition(PayloadPath.Parse(field))]);
                counts[field] = await collection.CountPointsAsync(notEmpty).ConfigureAwait(false);
            }
            catch (FormatException)
            {
                counts[field] = 0;
            }
        }
        return counts;
    }
}
