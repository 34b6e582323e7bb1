using System.Text.Json.Nodes;

namespace BitSieve;

// The collection as an IPointCollection: each operation runs on the calling thread, as the synchronous method of the
// same name, and its task is complete when it returns (an exception it throws is the task's).
public sealed partial class Collection : IPointCollection
{
    Task IPointCollection.UpsertAsync(IReadOnlyList<Point> points) => Completed.Run(() => Upsert(points));

    Task IPointCollection.DeleteAsync(IEnumerable<PointId> ids) => Completed.Run(() => Delete(ids));

    Task IPointCollection.DeleteAsync(Filter filter) => Completed.Run(() => Delete(filter));

    Task<IReadOnlyList<PointRecord>> IPointCollection.RetrieveAsync(IEnumerable<PointId> ids, bool withPayload, bool withVector) =>
        Completed.Run(() => Retrieve(ids, withPayload, withVector));

    Task<ScrollPage> IPointCollection.ScrollAsync(PointId? offset, int limit, Filter? filter, bool withPayload, bool withVector) =>
        Completed.Run(() => Scroll(offset, limit, filter, withPayload, withVector));

    Task<long> IPointCollection.CountPointsAsync(Filter? filter) => Completed.Run(() => CountPoints(filter));

    Task<PointSearchResult> IPointCollection.SearchAsync(ReadOnlyMemory<float> query, SearchOptions? options, Filter? filter, bool withPayload, bool withVector) =>
        Completed.Run(() => Search(query.Span, options, filter, withPayload, withVector));

    Task<PointSearchResult> IPointCollection.SearchHybridAsync(ReadOnlyMemory<float> vector, string query, SearchOptions? options, Filter? filter,
        bool withPayload, bool withVector, int candidates, double vectorWeight) =>
        Completed.Run(() => SearchHybrid(vector.Span, query, options, filter, withPayload, withVector, candidates, vectorWeight));

    Task IPointCollection.ReplaceAsync(Filter replaced, IReadOnlyList<Point> points) => Completed.Run(() => Replace(replaced, points));

    Task IPointCollection.SetPayloadAsync(Filter filter, JsonObject payload) => Completed.Run(() => SetPayload(PointSelector.ByFilter(filter), payload));

    Task<PointSearchResult> IPointCollection.SearchTextAsync(string query, int k, Filter? filter, bool withPayload, bool withVector) =>
        Completed.Run(() => SearchText(query, k, filter, withPayload, withVector));

    Task<CollectionInfo> IPointCollection.InfoAsync() => Completed.Run(Info);

    Task<string?> IPointCollection.GetPropertyAsync(string name) => Completed.Run(() => GetProperty(name));

    Task IPointCollection.SetPropertyAsync(string name, string value) => Completed.Run(() => SetProperty(name, value));

    Task IPointCollection.CreatePayloadIndexAsync(string key, string schema) => Completed.Run(() => CreatePayloadIndex(key, schema));
}
