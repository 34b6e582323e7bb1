using System.Text.Json.Nodes;
using BitSieve.Search;
using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData.Tests;

/// <summary>Key mapping, model validation, options and the store, one concern at a time.</summary>
public sealed class ConnectorTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void Name_based_uuids_are_rfc_version_5()
    {
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), NameBasedUuid.Create(dns, "www.example.com"));
        // Computed independently (Python's uuid.uuid5) in the BitSieve key namespace.
        Assert.Equal(new Guid("407e3275-16c5-513b-8b60-e44ee36fddf2"), NameBasedUuid.ForStringKey("hello"));
        Assert.Equal(new Guid("ece38bec-851a-5c31-bbfc-3b1b6c3262f3"), NameBasedUuid.ForStringKey("ドキュメント"));
    }

    [Fact]
    public async Task A_string_key_is_stored_as_its_uuid_with_the_string_in_the_payload()
    {
        var collection = new BitSieveCollection<string, Hotel<string>>(_db.Database, "hotels");
        await collection.EnsureCollectionExistsAsync();
        var hotel = HotelData.Make<string, Hotel<string>>(1, _ => "room/101")[0];
        await collection.UpsertAsync(hotel);

        var engine = _db.Database.GetCollection("hotels");
        var point = Assert.Single(engine.Retrieve([new PointId(NameBasedUuid.ForStringKey("room/101"))]));
        Assert.Equal("room/101", (string?)point.Payload!["Key"]);
        Assert.Equal("room/101", (await collection.GetAsync("room/101"))!.Key);
    }

    [Fact]
    public async Task A_point_holding_another_string_key_is_refused_on_read()
    {
        var collection = new BitSieveCollection<string, Hotel<string>>(_db.Database, "hotels");
        await collection.EnsureCollectionExistsAsync();
        var hotel = HotelData.Make<string, Hotel<string>>(1, _ => "b")[0];
        // As if "a" and "b" collided: the point of "a" holds the record of "b".
        var payload = collection.Mapper.ToPayload(hotel);
        _db.Database.GetCollection("hotels").Upsert([new Point(new PointId(NameBasedUuid.ForStringKey("a")), hotel.Embedding, payload)]);
        var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.GetAsync("a"));
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_auto_generated_guid_key_is_filled_in()
    {
        var collection = new BitSieveCollection<Guid, Hotel<Guid>>(_db.Database, "hotels");
        await collection.EnsureCollectionExistsAsync();
        var hotel = HotelData.Make<Guid, Hotel<Guid>>(1, _ => Guid.Empty)[0];
        await collection.UpsertAsync(hotel);
        Assert.NotEqual(Guid.Empty, hotel.Key);
        Assert.Equal(hotel.Name, (await collection.GetAsync(hotel.Key))!.Name);
    }

    private sealed class IntKey
    {
        [VectorStoreKey] public int Id { get; set; }

        [VectorStoreVector(4)] public ReadOnlyMemory<float> V { get; set; }
    }

    private sealed class ObjectData
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreData] public Dictionary<string, int> Map { get; set; } = [];

        [VectorStoreVector(4)] public ReadOnlyMemory<float> V { get; set; }
    }

    private sealed class TwoVectors
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreVector(4)] public ReadOnlyMemory<float> A { get; set; }

        [VectorStoreVector(4)] public ReadOnlyMemory<float> B { get; set; }
    }

    private sealed class Hnsw
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreVector(4, IndexKind = IndexKind.Hnsw)] public ReadOnlyMemory<float> V { get; set; }
    }

    private sealed class ExactFlat
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreVector(4, IndexKind = IndexKind.Flat)] public ReadOnlyMemory<float> V { get; set; }
    }

    private sealed class Ivf
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreVector(4, IndexKind = IndexKind.IvfFlat)] public ReadOnlyMemory<float> V { get; set; }
    }

    [Fact]
    public void Index_kinds_map_onto_the_engine_index_types()
    {
        var db = _db.Database;
        Assert.Equal(IndexType.Graph, new BitSieveCollection<ulong, Hnsw>(db, "h").EngineOptions.Index);
        Assert.Equal(IndexType.Flat, new BitSieveCollection<ulong, ExactFlat>(db, "f").EngineOptions.Index);
        Assert.Equal(IndexType.Auto, new BitSieveCollection<ulong, DefaultKind>(db, "a").EngineOptions.Index);
    }

    private sealed class DefaultKind
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreVector(4)] public ReadOnlyMemory<float> V { get; set; }
    }

    private sealed class Hamming
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreVector(4, DistanceFunction = DistanceFunction.HammingDistance)] public ReadOnlyMemory<float> V { get; set; }
    }

    private sealed class TwoTexts
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreData(IsFullTextIndexed = true)] public string A { get; set; } = "";

        [VectorStoreData(IsFullTextIndexed = true)] public string B { get; set; } = "";

        [VectorStoreVector(4)] public ReadOnlyMemory<float> V { get; set; }
    }

    [Fact]
    public void Unsupported_models_are_refused_with_a_reason()
    {
        var db = _db.Database;
        Assert.Contains("ulong, Guid, string", Assert.Throws<NotSupportedException>(() => new BitSieveCollection<int, IntKey>(db, "c")).Message, StringComparison.Ordinal);
        Assert.Contains("Map", Assert.Throws<NotSupportedException>(() => new BitSieveCollection<ulong, ObjectData>(db, "c")).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => new BitSieveCollection<ulong, TwoVectors>(db, "c"));
        Assert.Contains(IndexKind.IvfFlat, Assert.Throws<NotSupportedException>(() => new BitSieveCollection<ulong, Ivf>(db, "c")).Message, StringComparison.Ordinal);
        Assert.Contains(DistanceFunction.HammingDistance, Assert.Throws<NotSupportedException>(() => new BitSieveCollection<ulong, Hamming>(db, "c")).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => new BitSieveCollection<ulong, TwoTexts>(db, "c"));
        Assert.Throws<InvalidOperationException>(() => new BitSieveCollection<Guid, Hotel<ulong>>(db, "c"));
        Assert.Throws<ArgumentException>(() => new BitSieveCollection<ulong, Hotel<ulong>>(db, ".hidden"));
        using var store = new BitSieveVectorStore(db);
        Assert.Throws<NotSupportedException>(() => store.GetCollection<string, Dictionary<string, object?>>("c"));
    }

    [Fact]
    public async Task An_existing_collection_of_another_shape_is_refused()
    {
        var hotels = new BitSieveCollection<ulong, Hotel<ulong>>(_db.Database, "shared");
        await hotels.EnsureCollectionExistsAsync();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Key", typeof(ulong)), new VectorStoreVectorProperty("Embedding", typeof(ReadOnlyMemory<float>), 8)],
        };
        var other = new BitSieveDynamicCollection(_db.Database, "shared", new BitSieveCollectionOptions { Definition = definition });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => other.EnsureCollectionExistsAsync());
        Assert.Contains("dimension 16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dynamic_collections_map_dictionaries()
    {
        using var store = new BitSieveVectorStore(_db.Database);
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(string)),
                new VectorStoreDataProperty("Title", typeof(string)) { IsIndexed = true },
                new VectorStoreDataProperty("Year", typeof(int)),
                new VectorStoreDataProperty("Labels", typeof(List<string>)),
                new VectorStoreVectorProperty("Vector", typeof(ReadOnlyMemory<float>), 3) { DistanceFunction = DistanceFunction.DotProductSimilarity },
            ],
        };
        var books = store.GetDynamicCollection("books", definition);
        await books.EnsureCollectionExistsAsync();
        await books.UpsertAsync(
        [
            new Dictionary<string, object?> { ["Id"] = "b1", ["Title"] = "Tides", ["Year"] = 1999, ["Labels"] = new List<string> { "sea" }, ["Vector"] = new ReadOnlyMemory<float>([1f, 0f, 0f]) },
            new Dictionary<string, object?> { ["Id"] = "b2", ["Title"] = "Dunes", ["Year"] = 2004, ["Labels"] = new List<string> { "sand", "sea" }, ["Vector"] = new ReadOnlyMemory<float>([0f, 1f, 0f]) },
            new Dictionary<string, object?> { ["Id"] = "b3", ["Title"] = "Peaks", ["Year"] = 2011, ["Labels"] = new List<string>(), ["Vector"] = new ReadOnlyMemory<float>([0f, 0f, 1f]) },
        ]);
        var b2 = await books.GetAsync("b2", new() { IncludeVectors = true });
        Assert.NotNull(b2);
        Assert.Equal("Dunes", b2["Title"]);
        Assert.Equal(2004, b2["Year"]);
        Assert.Equal(["sand", "sea"], (List<string>)b2["Labels"]!);
        Assert.Equal([0f, 1f, 0f], ((ReadOnlyMemory<float>)b2["Vector"]!).ToArray());

        var hits = await books.SearchAsync(new ReadOnlyMemory<float>([0.2f, 0.9f, 0.5f]), 2).ToListAsync();
        Assert.Equal(["b2", "b3"], hits.Select(h => (string)h.Record["Id"]!));
        var recent = await books.GetAsync(r => (int)r["Year"]! > 2000 && ((List<string>)r["Labels"]!).Contains("sea"), 10).ToListAsync();
        Assert.Equal("b2", (string)Assert.Single(recent)["Id"]!);
        var titled = await books.GetAsync(r => (string)r["Title"]! == "Peaks", 10).ToListAsync();
        Assert.Equal("b3", (string)Assert.Single(titled)["Id"]!);
    }

    [Theory]
    [InlineData(DistanceFunction.CosineSimilarity)]
    [InlineData(DistanceFunction.CosineDistance)]
    [InlineData(DistanceFunction.DotProductSimilarity)]
    [InlineData(DistanceFunction.NegativeDotProductSimilarity)]
    [InlineData(DistanceFunction.EuclideanDistance)]
    [InlineData(DistanceFunction.EuclideanSquaredDistance)]
    public async Task Every_distance_function_scores_as_its_definition_says(string distanceFunction)
    {
        var hotels = HotelData.Make<ulong, PlainHotel<ulong>>(200, i => (ulong)i);
        var collection = new BitSieveCollection<ulong, PlainHotel<ulong>>(_db.Database, "hotels",
            new BitSieveCollectionOptions { Definition = PlainHotel<ulong>.Definition(distanceFunction) });
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(hotels);
        var random = new Random(5);
        for (int q = 0; q < 10; q++)
        {
            float[] query = [.. Enumerable.Range(0, 16).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            var expected = Reference.Search(hotels, h => h.Embedding, query, distanceFunction, top: 8);
            var actual = await collection.SearchAsync(query, 8).ToListAsync();
            Assert.Equal(expected.Select(e => e.Record.Key), actual.Select(a => a.Record.Key));
            for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Score, actual[i].Score!.Value, 3);
        }
    }

    [Fact]
    public async Task Quantized_flat_search_reaches_its_recall_target_and_reports_its_trace()
    {
        const int count = 3000, dimensions = 64;
        var random = new Random(11);
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(ulong)),
                new VectorStoreVectorProperty("Vector", typeof(float[]), dimensions) { IndexKind = IndexKind.QuantizedFlat },
            ],
        };
        var traces = new List<SearchTrace>();
        var collection = new BitSieveDynamicCollection(_db.Database, "points",
            new BitSieveCollectionOptions { Definition = definition, SearchTrace = traces.Add });
        await collection.EnsureCollectionExistsAsync();
        var vectors = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToList();
        await collection.UpsertAsync(vectors.Select((v, i) => new Dictionary<string, object?> { ["Id"] = (ulong)i, ["Vector"] = v }));

        int found = 0, wanted = 0;
        for (int q = 0; q < 20; q++)
        {
            float[] query = [.. Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            var exact = Reference.Search(Enumerable.Range(0, count), i => vectors[i], query, DistanceFunction.CosineSimilarity, top: 10)
                .Select(e => (ulong)e.Record).ToHashSet();
            var hits = await collection.SearchAsync(query, 10).ToListAsync();
            found += hits.Count(h => exact.Contains((ulong)h.Record["Id"]!));
            wanted += exact.Count;

            SearchTrace? own = null;
            var certified = await collection.SearchAsync(query, 10,
                new BitSieveVectorSearchOptions<Dictionary<string, object?>> { Quality = Quality.Exact, Trace = t => own = t }).ToListAsync();
            Assert.Equal(exact.Order(), certified.Select(h => (ulong)h.Record["Id"]!).Order());
            Assert.NotNull(own);
        }
        Assert.True(found >= 0.95 * wanted, $"recall {found}/{wanted}");
        Assert.Equal(40, traces.Count);
        Assert.All(traces, t => Assert.True(t.T1Seen > 0));
    }

    [Fact]
    public void Store_and_collection_describe_themselves()
    {
        using var store = new BitSieveVectorStore(_db.Database);
        var metadata = (VectorStoreMetadata)store.GetService(typeof(VectorStoreMetadata))!;
        Assert.Equal("bitsieve", metadata.VectorStoreSystemName);
        Assert.Same(_db.Database, store.GetService(typeof(Database)));
        var collection = store.GetCollection<ulong, Hotel<ulong>>("hotels");
        var collectionMetadata = (VectorStoreCollectionMetadata)collection.GetService(typeof(VectorStoreCollectionMetadata))!;
        Assert.Equal("hotels", collectionMetadata.CollectionName);
        Assert.Null(collection.GetService(typeof(Collection)));
        Assert.Same(collection, collection.GetService(typeof(IKeywordHybridSearchable<Hotel<ulong>>)));
    }

    [Fact]
    public async Task A_store_opened_on_a_path_owns_its_database()
    {
        string path = Path.Combine(Path.GetTempPath(), "bitsieve-vd-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var store = new BitSieveVectorStore(path))
            {
                var collection = store.GetCollection<ulong, Hotel<ulong>>("hotels");
                await collection.EnsureCollectionExistsAsync();
                await collection.UpsertAsync(HotelData.Make<ulong, Hotel<ulong>>(5, i => (ulong)i));
                Assert.Throws<DatabaseLockedException>(() => Database.Open(path));
            }
            using var reopened = new BitSieveVectorStore(path);
            Assert.Equal(["hotels"], await reopened.ListCollectionNamesAsync().ToListAsync());
            Assert.Equal(5, (await reopened.GetCollection<ulong, Hotel<ulong>>("hotels").GetAsync(_ => true, 10).ToListAsync()).Count);
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [Fact]
    public void Payload_values_round_trip_through_json()
    {
        object?[] values = [null, "x", 1, 2L, (short)3, (byte)4, 1.5f, 2.25, 3.125m, true, Guid.NewGuid(), new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(9))];
        foreach (object? value in values)
        {
            var type = value?.GetType() ?? typeof(string);
            var node = JsonNode.Parse(PayloadValues.ToNode(value, "p")?.ToJsonString() ?? "null");
            Assert.Equal(value, PayloadValues.FromNode(node, type));
        }
        Assert.Equal(0.1f, (float)PayloadValues.FromNode(JsonNode.Parse(PayloadValues.ToNode(0.1f, "p")!.ToJsonString()), typeof(float))!);
        Assert.Throws<ArgumentException>(() => PayloadValues.ToNode(double.NaN, "p"));
        Assert.Equal(0, PayloadValues.FromNode(null, typeof(int)));
        Assert.Null(PayloadValues.FromNode(null, typeof(int?)));
    }
}
