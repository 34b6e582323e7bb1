namespace BitSieve;

/// <summary>
/// A collection's points as an application reads and writes them, the same for an embedded <see cref="Collection"/>
/// and a cluster's sharded collection (see <see cref="IDatabase"/>): the same arguments, results and errors as the
/// <see cref="Collection"/> methods of the same names, which document each.
/// </summary>
public interface IPointCollection
{
    /// <summary>The collection's name.</summary>
    string Name { get; }

    /// <summary>The options it was created with.</summary>
    CollectionOptions Options { get; }

    /// <summary>Inserts or replaces points; durable when the task completes (see <see cref="Collection.Upsert"/>).</summary>
    Task UpsertAsync(IReadOnlyList<Point> points);

    /// <summary>Deletes points by id; ids that do not exist are ignored.</summary>
    Task DeleteAsync(IEnumerable<PointId> ids);

    /// <summary>Deletes the points a filter selects.</summary>
    Task DeleteAsync(Filter filter);

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

    /// <summary>Indexes a payload key, or with schema <c>text</c> makes it the field BM25 reads (see <see cref="Collection.CreatePayloadIndex"/>).</summary>
    Task CreatePayloadIndexAsync(string key, string schema);
}
