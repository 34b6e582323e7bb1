using System.Text.Json.Nodes;

namespace BitSieve;

// The collection as an IPointCollection: each operation runs on the calling thread, as the synchronous method of the
// same name, and its task is complete when it returns (an exception it throws is the task's). A write's task gives the
// log sequence after it.
public sealed partial class Collection : IPointCollection
{
    Task<long> IPointCollection.UpsertAsync(IReadOnlyList<Point> points) => Written(() => Upsert(points));

    Task<long> IPointCollection.DeleteAsync(IEnumerable<PointId> ids) => Written(() => Delete(ids));

    Task<long> IPointCollection.DeleteAsync(Filter filter) => Written(() => Delete(filter));

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

    Task<long> IPointCollection.ReplaceAsync(Filter replaced, IReadOnlyList<Point> points) => Written(() => Replace(replaced, points));

    Task<long> IPointCollection.SetPayloadAsync(PointSelector points, JsonObject payload) => Written(() => SetPayload(points, payload));

    Task<long> IPointCollection.OverwritePayloadAsync(PointSelector points, JsonObject payload) => Written(() => OverwritePayload(points, payload));

    Task<long> IPointCollection.DeletePayloadKeysAsync(PointSelector points, IReadOnlyList<string> keys) => Written(() => DeletePayloadKeys(points, keys));

    Task<long> IPointCollection.ClearPayloadAsync(PointSelector points) => Written(() => ClearPayload(points));

    Task<PointSearchResult> IPointCollection.SearchTextAsync(string query, int k, Filter? filter, bool withPayload, bool withVector) =>
        Completed.Run(() => SearchText(query, k, filter, withPayload, withVector));

    Task<CollectionInfo> IPointCollection.InfoAsync() => Completed.Run(Info);

    Task<string?> IPointCollection.GetPropertyAsync(string name) => Completed.Run(() => GetProperty(name));

    Task IPointCollection.SetPropertyAsync(string name, string value) => Completed.Run(() => SetProperty(name, value));

    Task<long> IPointCollection.CreatePayloadIndexAsync(string key, string schema) => Written(() => CreatePayloadIndex(key, schema));

    Task<long> IPointCollection.DeletePayloadIndexAsync(string key) => Written(() => DeletePayloadIndex(key));

    private Task<long> Written(Action write) => Completed.Run(() =>
    {
        write();
        return Read(() => _log?.LastSequence ?? _readSequence);
    });
}
