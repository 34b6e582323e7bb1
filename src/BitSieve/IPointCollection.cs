using System.Text.Json.Nodes;

namespace BitSieve;

/// <summary>
/// A collection's points as an application reads and writes them, the same for an embedded <see cref="Collection"/>
/// and a cluster's sharded collection (see <see cref="IDatabase"/>): the same arguments, results and errors as the
/// <see cref="Collection"/> methods of the same names, which document each. Beside the points, what the retrieval
/// layer (<c>BitSieve.Ingest</c>'s RAG service, the server's <c>/v1</c> text API) keeps and reads: the collection's
/// properties (the embedding model it is bound to), its description and payload indexes, lexical search, and the
/// replacement of a document's chunks. Each write's task gives its operation id (Qdrant's <c>operation_id</c>): an
/// embedded collection's log sequence after the write, which grows with its writes; a cluster's highest sequence among
/// the shards the write reached, each shard's growing with its own writes (so a write to one shard may answer a lower
/// id than an earlier write to another).
/// </summary>
public interface IPointCollection
{
    /// <summary>The collection's name.</summary>
    string Name { get; }

    /// <summary>The options it was created with.</summary>
    CollectionOptions Options { get; }

    /// <summary>Inserts or replaces points; durable when the task completes (see <see cref="Collection.Upsert"/>).</summary>
    Task<long> UpsertAsync(IReadOnlyList<Point> points);

    /// <summary>Deletes points by id; ids that do not exist are ignored.</summary>
    Task<long> DeleteAsync(IEnumerable<PointId> ids);

    /// <summary>Deletes the points a filter selects.</summary>
    Task<long> DeleteAsync(Filter filter);

    /// <summary>Points by id, in the order asked; ids that do not exist are left out (see <see cref="Collection.Retrieve"/>).</summary>
    Task<IReadOnlyList<PointRecord>> RetrieveAsync(IEnumerable<PointId> ids, bool withPayload = true, bool withVector = false);

    /// <summary>A page of points in id order, from <paramref name="offset"/> on (see <see cref="Collection.Scroll"/>).</summary>
    Task<ScrollPage> ScrollAsync(PointId? offset = null, int limit = 10, Filter? filter = null, bool withPayload = true, bool withVector = false);

    /// <summary>The exact number of points a filter selects (all for null).</summary>
    Task<long> CountPointsAsync(Filter? filter = null);

    /// <summary>The nearest points to <paramref name="query"/> (see <see cref="Collection.Search"/>).</summary>
    Task<PointSearchResult> SearchAsync(ReadOnlyMemory<float> query, SearchOptions? options = null, Filter? filter = null, bool withPayload = true, bool withVector = false);

    /// <summary>
    /// Vector and BM25 search fused (see <see cref="Collection.SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/>);
    /// needs a text index (<see cref="CreatePayloadIndexAsync"/> with schema <c>text</c>).
    /// </summary>
    Task<PointSearchResult> SearchHybridAsync(ReadOnlyMemory<float> vector, string query, SearchOptions? options = null, Filter? filter = null,
        bool withPayload = true, bool withVector = false, int candidates = 50, double vectorWeight = 1);

    /// <summary>Replaces the points a filter selects with <paramref name="points"/> (at least one; see <see cref="Collection.Replace"/>).</summary>
    Task<long> ReplaceAsync(Filter replaced, IReadOnlyList<Point> points);

    /// <summary>Sets payload keys of the points selected (ids or a filter), keeping their other keys (see <see cref="Collection.SetPayload"/>).</summary>
    Task<long> SetPayloadAsync(PointSelector points, JsonObject payload);

    /// <summary>Replaces the whole payloads of the points selected (see <see cref="Collection.OverwritePayload"/>).</summary>
    Task<long> OverwritePayloadAsync(PointSelector points, JsonObject payload);

    /// <summary>Removes payload keys from the points selected (see <see cref="Collection.DeletePayloadKeys"/>).</summary>
    Task<long> DeletePayloadKeysAsync(PointSelector points, IReadOnlyList<string> keys);

    /// <summary>Empties the payloads of the points selected (see <see cref="Collection.ClearPayload"/>).</summary>
    Task<long> ClearPayloadAsync(PointSelector points);

    /// <summary>BM25 search over the text field (see <see cref="Collection.SearchText"/>); needs a text index.</summary>
    Task<PointSearchResult> SearchTextAsync(string query, int k = 10, Filter? filter = null, bool withPayload = true, bool withVector = false);

    /// <summary>What the collection holds and costs, with its payload indexes (see <see cref="Collection.Info"/>).</summary>
    Task<CollectionInfo> InfoAsync();

    /// <summary>A property set by <see cref="SetPropertyAsync"/>, or null (see <see cref="Collection.GetProperty"/>).</summary>
    Task<string?> GetPropertyAsync(string name);

    /// <summary>Stores a named string with the collection, durably (see <see cref="Collection.SetProperty"/>).</summary>
    Task SetPropertyAsync(string name, string value);

    /// <summary>Indexes a payload key, or with schema <c>text</c> makes it the field BM25 reads (see <see cref="Collection.CreatePayloadIndex"/>).</summary>
    Task<long> CreatePayloadIndexAsync(string key, string schema);

    /// <summary>Drops the payload index of a key; a key without one is left as it is (see <see cref="Collection.DeletePayloadIndex"/>).</summary>
    Task<long> DeletePayloadIndexAsync(string key);
}
