using System.Linq.Expressions;
using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData.Tests;

/// <summary>
/// The same scenarios for every key type and both ways of describing a record; every answer is checked against the
/// exact reference (LINQ to objects for filters, brute-force scoring for search).
/// </summary>
public abstract class ConformanceTests<TKey, TRecord> : IDisposable
    where TKey : notnull
    where TRecord : class, IHotel<TKey>, new()
{
    private const int Count = 300;
    private readonly TempDatabase _db = new();

    protected ConformanceTests()
    {
        Hotels = HotelData.Make<TKey, TRecord>(Count, KeyOf);
    }

    protected List<TRecord> Hotels { get; }

    /// <summary>The i-th key.</summary>
    protected abstract TKey KeyOf(int i);

    /// <summary>The record definition, or null to read attributes.</summary>
    protected abstract VectorStoreCollectionDefinition? Definition { get; }

    /// <summary>The distance function the record asks for.</summary>
    protected abstract string DistanceFunction { get; }

    public void Dispose() => _db.Dispose();

    private BitSieveCollection<TKey, TRecord> NewCollection(string name = "hotels") =>
        new(_db.Database, name, new BitSieveCollectionOptions { Definition = Definition });

    private async Task<BitSieveCollection<TKey, TRecord>> LoadedAsync()
    {
        var collection = NewCollection();
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Hotels);
        return collection;
    }

    private float[] Query(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Hotel<TKey>.Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    [Fact]
    public async Task Collection_is_created_listed_and_deleted()
    {
        using var store = new BitSieveVectorStore(_db.Database);
        var collection = NewCollection();
        Assert.False(await collection.CollectionExistsAsync());
        await collection.EnsureCollectionExistsAsync();
        await collection.EnsureCollectionExistsAsync();
        Assert.True(await collection.CollectionExistsAsync());
        Assert.True(await store.CollectionExistsAsync("hotels"));
        Assert.Contains("hotels", await store.ListCollectionNamesAsync().ToListAsync());
        await collection.EnsureCollectionDeletedAsync();
        await collection.EnsureCollectionDeletedAsync();
        Assert.False(await collection.CollectionExistsAsync());
        Assert.DoesNotContain("hotels", await store.ListCollectionNamesAsync().ToListAsync());
    }

    [Fact]
    public async Task Get_returns_every_property_as_written()
    {
        var collection = await LoadedAsync();
        foreach (var expected in Hotels.Take(40))
        {
            var actual = await collection.GetAsync(expected.Key, new RecordRetrievalOptions { IncludeVectors = true });
            AssertSame(expected, actual, withVector: true);
            var withoutVector = await collection.GetAsync(expected.Key);
            AssertSame(expected, withoutVector, withVector: false);
            Assert.True(withoutVector!.Embedding.IsEmpty);
        }
    }

    [Fact]
    public async Task Upsert_overwrites_and_batch_get_leaves_out_missing_keys()
    {
        var collection = await LoadedAsync();
        var changed = Hotels[7];
        changed.Name = "renamed";
        changed.City = null;
        changed.Tags = ["new-tag"];
        await collection.UpsertAsync(changed);
        AssertSame(changed, await collection.GetAsync(changed.Key), withVector: false);

        TKey[] keys = [Hotels[3].Key, KeyOf(Count + 5), Hotels[5].Key, Hotels[3].Key];
        var found = await collection.GetAsync(keys).ToListAsync();
        Assert.Equal([Hotels[3].Key, Hotels[5].Key], found.Select(h => h.Key));
        Assert.Null(await collection.GetAsync(KeyOf(Count + 5)));
    }

    [Fact]
    public async Task Delete_removes_single_and_batched_keys()
    {
        var collection = await LoadedAsync();
        await collection.DeleteAsync(Hotels[0].Key);
        await collection.DeleteAsync([Hotels[1].Key, Hotels[2].Key, KeyOf(Count + 9)]);
        Assert.Null(await collection.GetAsync(Hotels[0].Key));
        Assert.Null(await collection.GetAsync(Hotels[2].Key));
        Assert.NotNull(await collection.GetAsync(Hotels[3].Key));
        var all = await collection.GetAsync(_ => true, top: 1000).ToListAsync();
        Assert.Equal(Count - 3, all.Count);
    }

    /// <summary>Filters covering every supported shape, with the values they compare against taken from the data.</summary>
    private List<Expression<Func<TRecord, bool>>> Filters()
    {
        var h = Hotels;
        string name = h[10].Name;
        string city = HotelData.Cities[1];
        int min = 3;
        var names = new List<string> { h[1].Name, h[2].Name, "nobody" };
        var chains = new HashSet<string> { "Meridian" };
        var key = h[4].Key;
        TKey[] keys = [h[5].Key, h[6].Key, KeyOf(Count + 1)];
        double rating = h[11].Rating;
        float price = h[12].Price;
        var opened = h[13].Opened;
        var cutoff = new DateTimeOffset(2022, 6, 1, 0, 0, 0, TimeSpan.FromHours(9));
        var updated = new DateTime(2021, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var code = h[14].Code;
        Guid[] codes = [h[15].Code, h[16].Code];
        return
        [
            r => r.Name == name,
            r => r.Name != name,
            r => r.City == city,
            r => r.City == null,
            r => r.City != null,
            r => r.City != city,
            r => r.Stars >= min,
            r => r.Stars > 2 && r.Stars < 5,
            r => 3 < r.Stars,
            r => r.Stars == 4,
            r => r.Rooms == 50,
            r => r.Rooms > 60,
            r => r.Rooms != 50,
            r => r.Rooms == null,
            r => r.Rating <= 2.5,
            r => r.Rating == rating,
            r => r.Price > 150f,
            r => r.Price == price,
            r => r.Parking,
            r => !r.Parking,
            r => r.Parking == false,
            r => r.Tags.Contains("pool"),
            r => !r.Tags.Contains("spa"),
            r => r.Floors.Contains(3),
            r => new[] { "Lantern", "Orchid" }.Contains(r.Chain),
            r => names.Contains(r.Name),
            r => chains.Contains(r.Chain),
            r => new[] { 1, 5 }.Contains(r.Stars),
            r => new[] { city, null }.Contains(r.City),
            r => codes.Contains(r.Code),
            r => r.Code == code,
            r => r.Opened > cutoff,
            r => r.Opened == opened,
            r => r.Opened <= cutoff && r.Updated < updated,
            r => r.Description.Contains("quiet harbour"),
            r => r.Key.Equals(key),
            r => keys.Contains(r.Key),
            r => (r.Stars > 3 || r.Parking) && !r.Tags.Contains("gym"),
            r => !(r.Chain == "Meridian" || r.City == city),
            r => r.Name.Equals(name) || r.Rating > 4.5 || r.Floors.Contains(9),
            r => true,
            r => false,
        ];
    }

    [Fact]
    public async Task Filters_select_exactly_what_linq_selects()
    {
        var collection = await LoadedAsync();
        var query = Query(1);
        foreach (var filter in Filters())
        {
            var predicate = filter.Compile();
            var expected = Hotels.Where(predicate).Select(h => h.Name).Order(StringComparer.Ordinal).ToList();
            var actual = (await collection.GetAsync(filter, top: 1000).ToListAsync()).Select(h => h.Name).Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(actual), $"GetAsync({filter}): expected {expected.Count} records, got {actual.Count}.");

            var reference = Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, predicate, top: 10);
            var found = await collection.SearchAsync(query, top: 10, new VectorSearchOptions<TRecord> { Filter = filter }).ToListAsync();
            Assert.True(reference.Select(r => r.Record.Name).SequenceEqual(found.Select(f => f.Record.Name)),
                $"SearchAsync with {filter}: expected [{string.Join(", ", reference.Select(r => r.Record.Name))}], got [{string.Join(", ", found.Select(f => f.Record.Name))}].");
        }
        // The key equality above must actually select the record.
        Assert.Single(await collection.GetAsync(r => r.Key.Equals(Hotels[4].Key), top: 10).ToListAsync());
    }

    [Fact]
    public async Task Search_matches_exact_scores_with_top_skip_and_threshold()
    {
        var collection = await LoadedAsync();
        for (int seed = 0; seed < 5; seed++)
        {
            var query = Query(100 + seed);
            foreach (var (top, skip) in new[] { (1, 0), (10, 0), (7, 3), (5, 295), (20, 290) })
            {
                var expected = Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, top: top, skip: skip);
                var actual = await collection.SearchAsync(query, top, new VectorSearchOptions<TRecord> { Skip = skip }).ToListAsync();
                Assert.Equal(expected.Select(e => e.Record.Name), actual.Select(a => a.Record.Name));
                for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Score, actual[i].Score!.Value, 3);
            }
            var all = Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, top: Count);
            // Midway between two scores: float32 engine scores and double reference scores differ in the last bits.
            double threshold = (all[25].Score + all[26].Score) / 2;
            var thresholded = await collection.SearchAsync(query, 100, new VectorSearchOptions<TRecord> { ScoreThreshold = threshold }).ToListAsync();
            var expectedThresholded = Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, top: 100, threshold: threshold);
            Assert.Equal(expectedThresholded.Select(e => e.Record.Name), thresholded.Select(a => a.Record.Name));
        }
    }

    [Fact]
    public async Task Search_accepts_every_vector_input_type_and_returns_vectors_on_request()
    {
        var collection = await LoadedAsync();
        var query = Query(7);
        var expected = Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, top: 3).Select(e => e.Record.Name).ToList();
        Assert.Equal(expected, (await collection.SearchAsync(query, 3).ToListAsync()).Select(r => r.Record.Name));
        Assert.Equal(expected, (await collection.SearchAsync(new ReadOnlyMemory<float>(query), 3).ToListAsync()).Select(r => r.Record.Name));
        Assert.Equal(expected, (await collection.SearchAsync(new Microsoft.Extensions.AI.Embedding<float>(query), 3).ToListAsync()).Select(r => r.Record.Name));

        var withVectors = await collection.SearchAsync(query, 3, new VectorSearchOptions<TRecord> { IncludeVectors = true }).ToListAsync();
        foreach (var hit in withVectors) AssertSame(Hotels.Single(h => h.Name == hit.Record.Name), hit.Record, withVector: true);
        var withoutVectors = await collection.SearchAsync(query, 3).ToListAsync();
        Assert.All(withoutVectors, hit => Assert.True(hit.Record.Embedding.IsEmpty));

        await Assert.ThrowsAsync<ArgumentException>(() => collection.SearchAsync(new float[3], 3).ToListAsync().AsTask());
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.SearchAsync("text, but no embedding generator", 3).ToListAsync().AsTask());
    }

    [Fact]
    public async Task Get_by_filter_sorts_and_pages()
    {
        var collection = await LoadedAsync();
        Expression<Func<TRecord, bool>> filter = r => r.Stars >= 2;
        var matching = Hotels.Where(filter.Compile()).ToList();

        var byRating = await collection.GetAsync(filter, top: 15, new() { Skip = 10, OrderBy = o => o.Descending(r => r.Rating).Ascending(r => r.Name) }).ToListAsync();
        Assert.Equal(matching.OrderByDescending(h => h.Rating).ThenBy(h => h.Name, StringComparer.Ordinal).Skip(10).Take(15).Select(h => h.Name),
            byRating.Select(h => h.Name));

        // Without an order, pages follow the key order: together they hold every match once.
        var paged = new List<string>();
        for (int skip = 0; skip < matching.Count; skip += 17)
            paged.AddRange((await collection.GetAsync(filter, top: 17, new() { Skip = skip }).ToListAsync()).Select(h => h.Name));
        Assert.Equal(matching.Select(h => h.Name).Order(StringComparer.Ordinal), paged.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Unsupported_filters_throw_naming_the_expression()
    {
        var collection = await LoadedAsync();
        Expression<Func<TRecord, bool>>[] unsupported =
        [
            r => r.Name.StartsWith("hotel", StringComparison.Ordinal),
            r => r.Stars + 1 > 3,
            r => r.Name.Length > 3,
            r => r.Stars > r.Rooms,
            r => r.Tags.Any(t => t.Length > 3),
            r => string.Compare(r.Name, "m", StringComparison.Ordinal) > 0,
            r => r.Name.CompareTo("m") > 0,
        ];
        foreach (var filter in unsupported)
        {
            var e = await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync(filter, top: 5).ToListAsync().AsTask());
            Assert.Contains("not supported by the BitSieve connector", e.Message, StringComparison.Ordinal);
            Assert.Contains("r.", e.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<NotSupportedException>(() =>
                collection.SearchAsync(Query(3), 5, new VectorSearchOptions<TRecord> { Filter = filter }).ToListAsync().AsTask());
        }
    }

    [Fact]
    public async Task Records_survive_reopening_the_database()
    {
        var collection = await LoadedAsync();
        _db.Reopen();
        var reopened = NewCollection();
        Assert.True(await reopened.CollectionExistsAsync());
        AssertSame(Hotels[9], await reopened.GetAsync(Hotels[9].Key, new() { IncludeVectors = true }), withVector: true);
        var query = Query(9);
        Assert.Equal(Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, top: 5).Select(e => e.Record.Name),
            (await reopened.SearchAsync(query, 5).ToListAsync()).Select(r => r.Record.Name));
        Assert.NotNull(collection);
    }

    [Fact]
    public async Task Operations_on_a_missing_collection_throw_VectorStoreException()
    {
        var collection = NewCollection("missing");
        await Assert.ThrowsAsync<VectorStoreException>(() => collection.GetAsync(Hotels[0].Key));
        await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(Hotels[0]));
        await Assert.ThrowsAsync<VectorStoreException>(() => collection.DeleteAsync(Hotels[0].Key));
        var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.SearchAsync(Query(1), 3).ToListAsync().AsTask());
        Assert.Equal("missing", e.CollectionName);
        Assert.Equal("bitsieve", e.VectorStoreSystemName);
    }

    [Fact]
    public async Task Indexed_properties_get_payload_indexes()
    {
        var collection = await LoadedAsync();
        var engine = (Collection)collection.GetService(typeof(Collection))!;
        var indexes = engine.Info().PayloadIndexes;
        var model = Definition?.Properties.OfType<VectorStoreDataProperty>().Where(p => p.IsIndexed).Select(p => p.StorageName ?? p.Name)
            ?? typeof(TRecord).GetProperties()
                .Select(p => (p, a: p.GetCustomAttributes(typeof(VectorStoreDataAttribute), false).OfType<VectorStoreDataAttribute>().SingleOrDefault()))
                .Where(x => x.a?.IsIndexed == true).Select(x => x.a!.StorageName ?? x.p.Name);
        foreach (string storageName in model)
            Assert.Contains(BitSieveFilterTranslator.PathOf(storageName).Text, indexes.Keys);
    }

    [Fact]
    public async Task Hybrid_search_fuses_the_exact_vector_ranking_with_the_keyword_ranking()
    {
        var collection = await LoadedAsync();
        var engine = (Collection)collection.GetService(typeof(Collection))!;
        var byKey = Hotels.ToDictionary(h => h.Key);
        const int candidates = 50;
        Expression<Func<TRecord, bool>>[] filters = [r => true, r => r.Stars >= 3, r => r.Tags.Contains("pool")];
        foreach (var filter in filters)
        {
            for (int seed = 0; seed < 3; seed++)
            {
                var query = Query(200 + seed);
                string[][] keywordSets = [["quiet", "harbour"], ["rooftop"], ["canal", "lake", "forest"]];
                string[] keywords = keywordSets[seed];
                // Scores higher-is-better; the vector list's confidence is its top cosine (1 for another metric).
                double sign = Reference.HigherIsBetter(DistanceFunction) ? 1 : -1;
                var vectorRanking = Reference.Search(Hotels, h => h.Embedding, query, DistanceFunction, filter.Compile(), top: candidates)
                    .Select(r => (r.Record.Name, sign * r.Score)).ToList();
                double vectorConfidence = DistanceFunction switch
                {
                    Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity => vectorRanking[0].Item2,
                    Microsoft.Extensions.VectorData.DistanceFunction.CosineDistance => 1 + vectorRanking[0].Item2, // 1 − distance
                    _ => 1,
                };
                var payloadFilter = new BitSieveFilterTranslator().Translate(filter, CollectionModel(collection), Mapper(collection));
                // BM25's candidates as hybrid search takes them: the best `candidates`, with every tie of the last (the
                // ladder's unit, the leader's standard deviation, counts them all).
                var lexicalRanking = engine.SearchText(string.Join(' ', keywords), Hotels.Count, payloadFilter).Hits
                    .Select(h => (byKey[(TKey)Mapper(collection).KeyOf(h.Id, h.Payload)].Name, (double)h.Score))
                    .ToList();
                Assert.NotEmpty(lexicalRanking);
                int taken = Math.Min(candidates, lexicalRanking.Count);
                while (taken < lexicalRanking.Count && lexicalRanking[taken].Item2 == lexicalRanking[taken - 1].Item2) taken++;
                lexicalRanking.RemoveRange(taken, lexicalRanking.Count - taken);
                // BM25's confidence: its top score over the attainable one, from how many of the hotels hold each keyword.
                double lexicalConfidence = Reference.LexicalConfidence(lexicalRanking[0].Item2, Hotels.Count,
                    keywords.Select(k => engine.SearchText(k, Hotels.Count).Hits.Count));
                var fused = Reference.Fuse(vectorRanking, vectorConfidence, lexicalRanking, lexicalConfidence, lexicalExhaustive: lexicalRanking.Count < candidates);
                var expectedScore = fused.ToDictionary(f => f.Id, f => f.Score);

                var options = new HybridSearchOptions<TRecord> { Filter = filter };
                var hits = await collection.HybridSearchAsync(query, keywords, 10, options).ToListAsync();
                Assert.Equal(Math.Min(10, fused.Count), hits.Count);
                for (int i = 0; i < hits.Count; i++)
                {
                    Assert.Equal(expectedScore[hits[i].Record.Name], hits[i].Score!.Value, 4);
                    if (i > 0) Assert.True(hits[i].Score <= hits[i - 1].Score);
                }
                // Every record scoring above the last returned score is returned (ties at the cut may go either way).
                double cut = hits[^1].Score!.Value;
                Assert.Subset(hits.Select(h => h.Record.Name).ToHashSet(), fused.Where(f => f.Score > cut + 1e-4).Select(f => f.Id).ToHashSet());

                var page = await collection.HybridSearchAsync(query, keywords, 3, new HybridSearchOptions<TRecord> { Filter = filter, Skip = 2 }).ToListAsync();
                Assert.Equal(hits.Skip(2).Take(3).Select(h => h.Score), page.Select(h => h.Score));
            }
        }
    }

    [Fact]
    public async Task Hybrid_search_finds_a_keyword_match_whose_vector_is_far_away()
    {
        var collection = await LoadedAsync();
        var query = Query(300);
        var far = Hotels[42];
        far.Description = "zephyrine lodge";
        far.Embedding = query.Select(v => -v).ToArray();
        await collection.UpsertAsync(far);
        var vectorOnly = await collection.SearchAsync(query, 10).ToListAsync();
        Assert.DoesNotContain(vectorOnly, h => h.Record.Name == far.Name);
        var hybrid = await collection.HybridSearchAsync(query, ["zephyrine"], 10).ToListAsync();
        Assert.Contains(hybrid, h => h.Record.Name == far.Name);
        var filtered = await collection.HybridSearchAsync(query, ["zephyrine"], 10,
            new HybridSearchOptions<TRecord> { Filter = r => r.Name != far.Name }).ToListAsync();
        Assert.DoesNotContain(filtered, h => h.Record.Name == far.Name);
    }

    private static Microsoft.Extensions.VectorData.ProviderServices.CollectionModel CollectionModel(BitSieveCollection<TKey, TRecord> collection) =>
        collection.Model;

    private static RecordMapper Mapper(BitSieveCollection<TKey, TRecord> collection) => collection.Mapper;

    private void AssertSame(TRecord expected, TRecord? actual, bool withVector)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.City, actual.City);
        Assert.Equal(expected.Chain, actual.Chain);
        Assert.Equal(expected.Stars, actual.Stars);
        Assert.Equal(expected.Rooms, actual.Rooms);
        Assert.Equal(expected.Rating, actual.Rating);
        Assert.Equal(expected.Price, actual.Price);
        Assert.Equal(expected.Parking, actual.Parking);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Floors, actual.Floors);
        Assert.Equal(expected.Opened, actual.Opened);
        Assert.Equal(expected.Opened.Offset, actual.Opened.Offset);
        Assert.Equal(expected.Updated, actual.Updated);
        Assert.Equal(expected.Updated.Kind, actual.Updated.Kind);
        Assert.Equal(expected.Code, actual.Code);
        Assert.Equal(expected.Description, actual.Description);
        if (!withVector) return;
        // Cosine collections keep vectors normalized.
        bool cosine = DistanceFunction is Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity
            or Microsoft.Extensions.VectorData.DistanceFunction.CosineDistance;
        float[] want = cosine ? Reference.Normalized(expected.Embedding.Span) : expected.Embedding.ToArray();
        float[] stored = actual.Embedding.ToArray();
        Assert.Equal(want.Length, stored.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], stored[i], 5);
    }
}
