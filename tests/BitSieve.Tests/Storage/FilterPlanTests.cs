using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Filters;

namespace BitSieve.Tests.Storage;

/// <summary>
/// The filtered-search planner (cardinality estimate → plan), the per-(filter, log sequence) cache of allowed keys,
/// and <see cref="PointRows.Get"/> in batches.
/// </summary>
public sealed class FilterPlanTests : IDisposable
{
    private const int Points = 4000, Dim = 16, K = 10;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-plan-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Filter Parse(string json) => Filter.Parse(json);

    /// <summary>Points r = 0..Points-1 with payload {"bucket": r mod 1000, "plain": r mod 1000}; only bucket is indexed.</summary>
    private Collection Build(Database db)
    {
        var c = db.CreateCollection("plan", new CollectionOptions { Dimension = Dim, TrainingSize = 500 });
        var random = new Random(7);
        var points = new List<Point>(Points);
        for (int r = 0; r < Points; r++)
        {
            var v = new float[Dim];
            for (int d = 0; d < Dim; d++) v[d] = (float)(random.NextDouble() * 2 - 1);
            points.Add(new Point(new PointId((ulong)r), v, new JsonObject { ["bucket"] = r % 1000, ["plain"] = r % 1000 }));
        }
        c.Upsert(points);
        c.CreatePayloadIndex("bucket", "integer");
        return c;
    }

    [Theory]
    [InlineData("""{"must":[{"key":"bucket","range":{"lt":1}}]}""", nameof(FilterPlan.ScoreAllowed))] // 0.1 %, counted through the index
    [InlineData("""{"must":[{"key":"bucket","range":{"lt":10}}]}""", nameof(FilterPlan.ScoreAllowed))] // 1 %
    [InlineData("""{"must":[{"key":"bucket","range":{"lt":100}}]}""", nameof(FilterPlan.CascadeOverAllowed))] // 10 %
    [InlineData("""{"must":[{"key":"bucket","range":{"lt":500}}]}""", nameof(FilterPlan.CascadeOverAllowed))] // 50 %
    [InlineData("""{"must_not":[{"key":"bucket","range":{"lt":1}}]}""", nameof(FilterPlan.CascadeExceptRejected))] // 99.9 %, by the bounds alone
    [InlineData("""{"must":[{"key":"bucket","range":{"lt":999}}]}""", nameof(FilterPlan.CascadeExceptRejected))] // 99.9 %, by the sample
    [InlineData("""{"must":[{"key":"plain","range":{"lt":1}}]}""", nameof(FilterPlan.CascadeOverAllowed))] // no index: unknown, the sample rejects most
    [InlineData("""{"must":[{"key":"plain","range":{"lt":999}}]}""", nameof(FilterPlan.CascadeExceptRejected))] // no index, the sample allows nearly all
    [InlineData("""{"must":[{"key":"bucket","range":{"lt":1}},{"key":"plain","range":{"lt":999}}]}""", nameof(FilterPlan.ScoreAllowed))] // must: the smallest maximum bounds it
    [InlineData("""{"should":[{"key":"bucket","range":{"lt":1}},{"key":"bucket","range":{"gte":999}}]}""", nameof(FilterPlan.ScoreAllowed))] // should: the sum of the maximums
    public void The_planner_picks_the_plan_of_the_filters_selectivity_and_the_answer_is_exact_filtered_search(string json, string expected)
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        var filter = Parse(json);
        Assert.Equal(Enum.Parse<FilterPlan>(expected), c.PlanFilter(filter, FilterSql.Translate(filter)));

        var random = new Random(11);
        for (int q = 0; q < 5; q++)
        {
            var query = new float[Dim];
            for (int d = 0; d < Dim; d++) query[d] = (float)(random.NextDouble() * 2 - 1);
            var exact = c.Search(query, new SearchOptions { K = K, Exhaustive = true }, filter, withPayload: false).Hits.Select(h => h.Id).ToList();
            var found = c.Search(query, new SearchOptions { K = K, Quality = Quality.Exact }, filter, withPayload: false).Hits.Select(h => h.Id).ToList();
            Assert.Equal(exact, found);
            Assert.NotEmpty(found);
        }
    }

    [Fact]
    public void Estimates_combine_as_Qdrants_must_should_and_must_not()
    {
        var few = CardinalityEstimate.Exactly(10);
        var half = new CardinalityEstimate(400, 500, 600);
        var all = CardinalityEstimate.AllOf([few, half], 1000);
        Assert.Equal(new CardinalityEstimate(0, 5, 10), all);
        var any = CardinalityEstimate.AnyOf([few, half], 1000);
        Assert.Equal(400, any.Min);
        Assert.Equal(610, any.Max);
        Assert.Equal(505, any.Expected);
        Assert.Equal(new CardinalityEstimate(990, 990, 990), few.Complement(1000));
        // Two conditions that each hold for 900 of 1000 points overlap on at least 800.
        Assert.Equal(800, CardinalityEstimate.AllOf([CardinalityEstimate.Exactly(900), CardinalityEstimate.Exactly(900)], 1000).Min);
        Assert.Equal(CardinalityEstimate.Exactly(1000), CardinalityEstimate.AllOf([], 1000));
    }

    [Fact]
    public void The_cache_hits_for_the_same_filter_and_sequence_and_is_emptied_by_any_other_sequence()
    {
        var cache = new AllowedKeyCache();
        var keys = new FilterKeys(FilterPlan.ScoreAllowed, [1UL, 2UL]);
        Assert.False(cache.TryGet("a", 5, out _));
        cache.Add("a", 5, keys);
        Assert.True(cache.TryGet("a", 5, out var hit));
        Assert.Same(keys, hit);
        Assert.False(cache.TryGet("b", 5, out _));
        Assert.False(cache.TryGet("a", 6, out _)); // a write moved the sequence
        Assert.Equal(0, cache.Count);
        Assert.Equal((1L, 3L), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void The_cache_evicts_the_least_recently_used_set_beyond_its_bounds()
    {
        var cache = new AllowedKeyCache();
        for (int i = 0; i < AllowedKeyCache.MaxEntries; i++) cache.Add("f" + i, 1, new FilterKeys(FilterPlan.CascadeOverAllowed, [(ulong)i]));
        Assert.True(cache.TryGet("f0", 1, out _)); // f0 is now the most recent; f1 the least
        cache.Add("new", 1, new FilterKeys(FilterPlan.CascadeOverAllowed, [99UL]));
        Assert.Equal(AllowedKeyCache.MaxEntries, cache.Count);
        Assert.False(cache.TryGet("f1", 1, out _));
        Assert.True(cache.TryGet("f0", 1, out _));
        Assert.True(cache.TryGet("new", 1, out _));

        // A set over the key budget is not kept; one that fills it evicts everything else.
        cache.Add("huge", 1, new FilterKeys(FilterPlan.CascadeOverAllowed, new ulong[AllowedKeyCache.MaxKeys + 1]));
        Assert.False(cache.TryGet("huge", 1, out _));
        cache.Add("full", 1, new FilterKeys(FilterPlan.CascadeOverAllowed, new ulong[AllowedKeyCache.MaxKeys]));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_collection_reuses_a_filters_keys_until_a_write_and_then_sees_the_write()
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        var filter = Parse("""{"must":[{"key":"bucket","range":{"lt":1}}]}""");
        var query = Enumerable.Repeat(1f, Dim).ToArray();
        var first = c.Search(query, new SearchOptions { K = 100 }, filter, withPayload: false).Hits;
        var second = c.Search(query, new SearchOptions { K = 100 }, filter, withPayload: false).Hits;
        Assert.Equal(first.Select(h => h.Id), second.Select(h => h.Id));
        Assert.Equal((1L, 1L), (c.FilterKeyCache.Hits, c.FilterKeyCache.Misses));

        // The new point matches the filter: the cached set, read before the write, must not hide it.
        c.Upsert([new Point(new PointId(1_000_000UL), query, new JsonObject { ["bucket"] = 0 })]);
        var third = c.Search(query, new SearchOptions { K = 100 }, filter, withPayload: false).Hits;
        Assert.Equal((1L, 2L), (c.FilterKeyCache.Hits, c.FilterKeyCache.Misses));
        Assert.Equal(first.Count + 1, third.Count);
        Assert.Equal(new PointId(1_000_000UL), third[0].Id);

        // A delete too.
        c.Delete([new PointId(1_000_000UL)]);
        Assert.Equal(first.Select(h => h.Id), c.Search(query, new SearchOptions { K = 100 }, filter, withPayload: false).Hits.Select(h => h.Id));
    }

    [Fact]
    public void Get_reads_a_batch_of_keys_with_one_statement_and_reports_a_key_without_a_row()
    {
        Directory.CreateDirectory(_dir);
        using var store = PointStore.Open(_dir, readOnly: false);
        int n = 2 * PointRows.GetBatch + 10;
        store.ApplyUpsert(1, [.. Enumerable.Range(1, n).Select(k => new StoredPoint((ulong)k, k % 3 == 0 ? new PointId(new Guid(k, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)) : new PointId((ulong)k * 10), $$"""{"k":{{k}}}"""))]);
        var asked = Enumerable.Range(1, n).Select(k => (ulong)k).Reverse().ToList();
        long before = store.Rows.GetStatements;
        var rows = store.Rows.Get(asked);
        Assert.Equal(3, store.Rows.GetStatements - before); // ⌈n / GetBatch⌉
        Assert.Equal(n, rows.Count);
        for (int k = 1; k <= n; k++)
        {
            var (id, payload) = rows[(ulong)k];
            Assert.Equal(k % 3 == 0 ? new PointId(new Guid(k, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)) : new PointId((ulong)k * 10), id);
            Assert.Equal($$"""{"k":{{k}}}""", payload);
        }
        Assert.All(store.Rows.Get(asked.Take(10), withPayload: false).Values, row => Assert.Equal("", row.Payload));
        Assert.Empty(store.Rows.Get([]));
        // Callers ask for keys of live points: a key without a row is damage, reported rather than left out.
        var e = Assert.Throws<CorruptFileException>(() => store.Rows.Get([1UL, (ulong)n + 1]));
        Assert.Equal(store.Path, e.FilePath);
    }
}
