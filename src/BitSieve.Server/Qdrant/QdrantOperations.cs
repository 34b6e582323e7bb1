using BitSieve.Server.Http;
using BitSieve.Server.Metrics;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Qdrant;

/// <summary>
/// The operations of Qdrant's API, one implementation under both transports: the REST handlers
/// (<see cref="QdrantApi"/>) and the gRPC services (<c>Grpc/QdrantGrpcService</c>) read their requests into the records of
/// <c>Models/</c> and call these, then write the answer in their own wire format. The server's limits (response budget,
/// points per request) and the mapping of engine failures onto Qdrant's errors (<see cref="ApiException"/>, which the
/// gRPC side turns into status codes) are applied here, so both transports answer the same request the same way.
/// </summary>
internal sealed class QdrantOperations(DatabaseService db, ServerOptions options, ServerMetrics metrics)
{
    /// <summary>The server's limits.</summary>
    public ServerOptions Options => options;

    /// <summary>Throws the 404 when the collection does not exist (REST resolves it before reading the body).</summary>
    public void EnsureExists(string name) => db.Get(name);

    /// <summary>The collections' names.</summary>
    public IReadOnlyList<string> ListCollections() => db.Database.CollectionNames();

    /// <summary>Qdrant's <c>CollectionInfo</c> of a collection; 404 when it does not exist.</summary>
    public Models.CollectionInfo GetCollection(string name)
    {
        var collection = db.Get(name);
        var info = collection.Info();
        return Models.CollectionInfo.From(info, PointsPerIndexedField(collection, info));
    }

    /// <summary>Creates a collection: 422 for an invalid name, 400 when it exists.</summary>
    public void CreateCollection(string name, CreateCollection create)
    {
        if (!Database.IsValidName(name))
            throw new ApiException(StatusCodes.Status422UnprocessableEntity,
                $"Validation error in path parameters: [collection_name: `{name}` is not a valid collection name: use 1–255 letters, digits, '_', '-' or '.', not starting with '.']");
        try
        {
            db.Database.CreateCollection(name, create.Options);
        }
        catch (InvalidOperationException) when (db.Database.CollectionExists(name))
        {
            throw ApiException.WrongInput($"Collection `{name}` already exists!");
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    /// <summary>Deletes a collection; false when there was none (as Qdrant).</summary>
    public bool DeleteCollection(string name) => Database.IsValidName(name) && db.Database.DeleteCollection(name);

    /// <summary>Whether the collection exists.</summary>
    public bool CollectionExists(string name) => db.Database.CollectionExists(name);

    /// <summary>Creates a payload index.</summary>
    public UpdateResult CreateFieldIndex(string name, CreateFieldIndex index) =>
        Write(name, collection => collection.CreatePayloadIndex(index.FieldName, index.Schema));

    /// <summary>Deletes a payload index.</summary>
    public UpdateResult DeleteFieldIndex(string name, string field) =>
        Write(name, collection => collection.DeletePayloadIndex(field));

    /// <summary>Inserts or replaces points; every vector must have the collection's dimension.</summary>
    public UpdateResult Upsert(string name, IReadOnlyList<Point> points)
    {
        CheckCount(points.Count, "points");
        return Write(name, collection =>
        {
            for (int i = 0; i < points.Count; i++)
                if (points[i].Vector.Length != collection.Dimension)
                    throw ApiException.WrongInput($"Vector dimension error: expected dim: {collection.Dimension}, got {points[i].Vector.Length}");
            collection.Upsert(points);
        });
    }

    /// <summary>Deletes points by ids (unknown ids are ignored) or by filter.</summary>
    public UpdateResult Delete(string name, PointSelector selector)
    {
        CheckSelector(selector);
        return Write(name, collection =>
        {
            if (selector.Filter is { } filter) collection.Delete(filter);
            else collection.Delete(selector.Ids!);
        });
    }

    /// <summary>Sets payload keys, keeping the others; ids that do not exist are a 404 naming the first.</summary>
    public UpdateResult SetPayload(string name, SetPayload set) => ChangePayload(name, set.Points, c => c.SetPayload(set.Points, set.Payload));

    /// <summary>Replaces whole payloads; ids that do not exist are a 404 naming the first.</summary>
    public UpdateResult OverwritePayload(string name, SetPayload set) => ChangePayload(name, set.Points, c => c.OverwritePayload(set.Points, set.Payload));

    /// <summary>Removes payload keys; ids that do not exist are a 404 naming the first.</summary>
    public UpdateResult DeletePayload(string name, DeletePayload delete) => ChangePayload(name, delete.Points, c => c.DeletePayloadKeys(delete.Points, delete.Keys));

    /// <summary>Empties payloads; ids that do not exist are a 404 naming the first.</summary>
    public UpdateResult ClearPayload(string name, PointSelector selector) => ChangePayload(name, selector, c => c.ClearPayload(selector));

    /// <summary>Points by id (unknown ids are left out), within the response budget.</summary>
    public IReadOnlyList<PointRecord> Retrieve(string name, PointRequest request)
    {
        CheckCount(request.Ids.Count, "ids");
        var collection = db.Get(name);
        var budget = new ResponseBudget(collection, options, "this retrieval");
        budget.Add(request.Ids.Count, request.WithPayload.Enabled, request.WithVector);
        budget.Check();
        return collection.Retrieve(request.Ids, request.WithPayload.Enabled, request.WithVector);
    }

    /// <summary>One point with its payload and vector; 404 when there is none.</summary>
    public PointRecord GetPoint(string name, PointId id)
    {
        var found = db.Get(name).Retrieve([id], withPayload: true, withVector: true);
        return found.Count == 0 ? throw ApiException.NotFound($"No point with id {JsonValues.Text(id)} found") : found[0];
    }

    /// <summary>A page of points in id order, within the response budget.</summary>
    public ScrollPage Scroll(string name, ScrollRequest scroll)
    {
        var collection = db.Get(name);
        var budget = new ResponseBudget(collection, options, "this scroll page");
        budget.Add(scroll.Limit, scroll.WithPayload.Enabled, scroll.WithVector);
        budget.Check();
        return collection.Scroll(scroll.Offset, scroll.Limit, scroll.Filter, scroll.WithPayload.Enabled, scroll.WithVector);
    }

    /// <summary>The exact number of points matching the filter.</summary>
    public long Count(string name, CountRequest count) => db.Get(name).CountPoints(count.Filter);

    /// <summary>
    /// Runs searches (one, or a batch: at most <see cref="ServerOptions.MaxBatchSearches"/>) after checking that their
    /// answers fit the response budget, before any of them runs; <paramref name="what"/> names the request in that error.
    /// </summary>
    public List<List<global::BitSieve.ScoredPoint>> Search(string name, IReadOnlyList<VectorSearch> searches, string what)
    {
        if (searches.Count > options.MaxBatchSearches)
            throw ApiException.Limit($"the batch holds {searches.Count} searches; this server accepts at most {options.MaxBatchSearches} per batch");
        var collection = db.Get(name);
        var budget = new ResponseBudget(collection, options, what);
        foreach (var search in searches) budget.Add((long)search.Offset + search.Limit, search.WithPayload.Enabled, search.WithVector);
        budget.Check();
        var results = new List<List<global::BitSieve.ScoredPoint>>(searches.Count);
        foreach (var search in searches) results.Add(Run(collection, search));
        return results;
    }

    /// <summary>Runs one search: the engine's top offset+limit, then the offset and the score threshold applied.</summary>
    private List<global::BitSieve.ScoredPoint> Run(Collection collection, VectorSearch search)
    {
        if (search.Vector.Length != collection.Dimension)
            throw ApiException.WrongInput($"Vector dimension error: expected dim: {collection.Dimension}, got {search.Vector.Length}");
        PointSearchResult result;
        try
        {
            result = collection.Search(search.Vector, search.Params.ToOptions(search.Offset + search.Limit), search.Filter, search.WithPayload.Enabled, search.WithVector);
        }
        catch (ArgumentException e)
        {
            throw ApiException.WrongInput(e.Message);
        }
        metrics.Search(collection.Name, search.Params.Mode, result.Trace);
        IEnumerable<global::BitSieve.ScoredPoint> hits = result.Hits.Skip(search.Offset);
        if (search.ScoreThreshold is { } threshold)
            hits = collection.Options.Metric == Metric.Euclidean ? hits.Where(h => h.Score <= threshold) : hits.Where(h => h.Score >= threshold);
        return hits.ToList();
    }

    private UpdateResult ChangePayload(string name, PointSelector selector, Action<Collection> change)
    {
        CheckSelector(selector);
        return Write(name, collection =>
        {
            CheckExist(collection, selector);
            change(collection);
        });
    }

    /// <summary>Applies a write; the engine's refusals of the input are 400 <c>Wrong input</c>.</summary>
    private UpdateResult Write(string name, Action<Collection> write)
    {
        var collection = db.Get(name);
        try
        {
            write(collection);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw ApiException.WrongInput(e.Message);
        }
        return UpdateResult.Completed(collection.Info().LogSequence);
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
    private static void CheckExist(Collection collection, PointSelector selector)
    {
        if (selector.Ids is not { Count: > 0 } ids) return;
        var found = collection.Retrieve(ids, withPayload: false, withVector: false).Select(p => p.Id).ToHashSet();
        foreach (var id in ids)
            if (!found.Contains(id)) throw ApiException.NotFound($"No point with id {JsonValues.Text(id)} found");
    }

    /// <summary>How many points hold a value at each indexed key (Qdrant's <c>payload_schema.*.points</c>).</summary>
    private static Dictionary<string, long> PointsPerIndexedField(Collection collection, global::BitSieve.CollectionInfo info)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string field in info.PayloadIndexes.Keys)
        {
            try
            {
                var notEmpty = new Filter(MustNot: [new IsEmptyCondition(PayloadPath.Parse(field))]);
                counts[field] = collection.CountPoints(notEmpty);
            }
            catch (FormatException)
            {
                counts[field] = 0;
            }
        }
        return counts;
    }
}
