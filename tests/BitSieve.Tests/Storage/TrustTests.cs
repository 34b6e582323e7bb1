using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Filters;
using BitSieve.Tests.Engine;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Engine rules from issue 12: a replacement is one logged write; exact search refuses oversampling; every valid
/// collection name can be created and deleted; filters as large as the parser admits run.
/// </summary>
public sealed class TrustTests : IDisposable
{
    private const int Dim = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-trust-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Filter Source(string source) => Filter.Parse($$$"""{"must":[{"key":"source","match":{"value":"{{{source}}}"}}]}""");

    private static List<Point> Chunks(string source, int count, ulong firstId, int seed)
    {
        var vectors = TestData.Gaussian(count, Dim, seed);
        return Enumerable.Range(0, count).Select(i => new Point(firstId + (ulong)i, vectors.AsMemory(i * Dim, Dim),
            new JsonObject { ["source"] = source, ["chunk"] = i, ["seed"] = seed })).ToList();
    }

    [Fact]
    public void A_replacement_is_one_log_record_that_survives_a_crash_whole()
    {
        var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(Chunks("a.md", 5, firstId: 100, seed: 1));
        c.Upsert(Chunks("b.md", 3, firstId: 200, seed: 2));
        long before = c.Info().LogSequence;

        // a.md shrinks from 5 chunks to 3: ids 100–102 are replaced in place, 103–104 deleted.
        int deleted = c.Replace(Source("a.md"), Chunks("a.md", 3, firstId: 100, seed: 3));

        Assert.Equal(2, deleted);
        Assert.Equal(before + 1, c.Info().LogSequence);
        db.Close(checkpoint: false); // as a crash: the log's one record must bring back the new version whole

        using var reopened = Database.Open(_dir);
        var r = reopened.GetCollection("docs");
        var a = r.Scroll(null, 100, Source("a.md")).Points;
        Assert.Equal([100UL, 101UL, 102UL], a.Select(p => p.Id.Number));
        Assert.All(a, p => Assert.Equal(3, p.Payload!["seed"]!.GetValue<int>()));
        Assert.Equal(3, r.CountPoints(Source("b.md")));
        Assert.Equal(6, r.Count);
        var expected = Chunks("a.md", 3, firstId: 100, seed: 3)[1];
        var hit = r.Search(expected.Vector.Span, new SearchOptions { K = 1, Quality = Quality.Exact }).Hits[0];
        Assert.Equal(101UL, hit.Id.Number);
        Assert.Throws<ArgumentException>(() => r.Replace(Source("a.md"), []));
    }

    [Fact]
    public void Exact_quality_with_oversampling_is_refused()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(Chunks("a.md", 50, firstId: 0, seed: 1));
        var query = TestData.Gaussian(1, Dim, 9);
        var e = Assert.Throws<ArgumentException>(() => c.Search(query, new SearchOptions { K = 5, Quality = Quality.Exact, Oversampling = 4 }));
        Assert.Contains("Quality.Exact", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, c.Search(query, new SearchOptions { K = 5, Oversampling = 4 }).Hits.Count);
        Assert.Equal(5, c.Search(query, new SearchOptions { K = 5, Quality = Quality.Exact }).Hits.Count);
    }

    [Theory]
    [InlineData(212)]
    [InlineData(213)]
    [InlineData(240)]
    [InlineData(255)]
    public void Every_valid_name_length_can_be_created_reopened_and_deleted(int length)
    {
        string name = new string('n', length - 3) + "x.y";
        using (var db = Database.Open(_dir))
        {
            db.CreateCollection(name, new CollectionOptions { Dimension = Dim }).Upsert(Chunks("a", 2, 0, 1));
        }
        using (var db = Database.Open(_dir))
        {
            Assert.Equal([name], db.CollectionNames());
            Assert.Equal(2, db.GetCollection(name).Count);
            Assert.True(db.DeleteCollection(name));
            Assert.Empty(db.CollectionNames());
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "collections")));
        }
    }

    [Fact]
    public void A_name_too_long_for_the_database_folder_is_an_argument_error_and_leaves_nothing_behind()
    {
        // SQLite opens no database at a path longer than 504 bytes: under a 300-character folder, a 255-character name
        // would make a collection that could be created but never opened.
        string deep = _dir;
        while (deep.Length < 300) deep = Path.Combine(deep, new string('d', 100));
        deep = deep[..300].TrimEnd('/');
        using var db = Database.Open(deep);
        var e = Assert.Throws<ArgumentException>(() => db.CreateCollection(new string('n', 255), new CollectionOptions { Dimension = Dim }));
        Assert.Contains("SQLite opens files at paths of at most 504 bytes", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(deep, "collections")));
        string longest = new('n', int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"at most (\d+) characters here").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        db.CreateCollection(longest, new CollectionOptions { Dimension = Dim }).Upsert(Chunks("a", 2, 0, 1));
        Assert.Equal(2, db.GetCollection(longest).Count);
    }

    public static TheoryData<string, int> LargeFilters() => new()
    {
        { "must", 1_000 },
        { "should", 1_000 },
        { "must_not", 1_000 },
        { "min_should", 1_000 },
        { "must", Filter.MaxConditions },
    };

    [Theory]
    [MemberData(nameof(LargeFilters))]
    public void A_filter_of_a_thousand_conditions_runs_in_every_clause(string clause, int conditions)
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(Chunks("a.md", 40, firstId: 0, seed: 1));
        // Condition i of must: chunk is not i + 1000 or i + 5000 (true for every point); of the other clauses: chunk is
        // one of them (true for none), and should/min_should get one more condition, true for chunk 7 only.
        var items = new JsonArray();
        for (int i = 0; i < conditions; i++)
            items.Add(new JsonObject { ["key"] = "chunk", ["match"] = new JsonObject { [clause == "must" ? "except" : "any"] = new JsonArray(i + 1000, i + 5000) } });
        string json = clause switch
        {
            "must" => new JsonObject { ["must"] = items }.ToJsonString(),
            "must_not" => new JsonObject { ["must_not"] = items }.ToJsonString(),
            "should" => new JsonObject { ["should"] = Append(items, 7) }.ToJsonString(),
            _ => new JsonObject { ["min_should"] = new JsonObject { ["conditions"] = Append(items, 7), ["min_count"] = 1 } }.ToJsonString(),
        };
        var filter = Filter.Parse(json);
        long expected = clause switch { "must" => 40, "must_not" => 40, _ => 1 };
        Assert.Equal(expected, c.CountPoints(filter));
        Assert.Equal(expected, c.Scroll(null, 100, filter).Points.Count);
    }

    [Fact]
    public void A_filter_nested_as_deep_as_the_parser_admits_runs()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(Chunks("a.md", 10, firstId: 0, seed: 1));
        JsonObject filter = new() { ["must"] = new JsonArray(new JsonObject { ["key"] = "chunk", ["match"] = new JsonObject { ["value"] = 3 } }) };
        for (int depth = 1; depth < Filter.MaxDepth; depth++)
            filter = new JsonObject { [depth % 2 == 0 ? "must" : "should"] = new JsonArray(filter, new JsonObject { ["key"] = "chunk", ["match"] = new JsonObject { ["any"] = new JsonArray(3) } }) };
        Assert.Equal(1, c.CountPoints(Filter.Parse(filter.ToJsonString())));
        var tooDeep = new JsonObject { ["must"] = new JsonArray(filter) }.ToJsonString();
        Assert.Throws<FilterFormatException>(() => Filter.Parse(tooDeep));
    }

    [Fact]
    public void A_filter_of_a_thousand_long_lists_stays_within_sqlites_parameter_limit()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(Chunks("a.md", 10, firstId: 0, seed: 1));
        var items = new JsonArray();
        for (int i = 0; i < Filter.MaxConditions; i++)
            items.Add(new JsonObject { ["key"] = "chunk", ["match"] = new JsonObject { ["except"] = new JsonArray([.. Enumerable.Range(1000, FilterSql.MaxInlineListLength).Select(v => (JsonNode)v)]) } });
        Assert.Equal(10, c.CountPoints(Filter.Parse(new JsonObject { ["must"] = items }.ToJsonString())));
    }

    private static JsonArray Append(JsonArray items, int chunk)
    {
        var copy = (JsonArray)items.DeepClone();
        copy.Add(new JsonObject { ["key"] = "chunk", ["match"] = new JsonObject { ["value"] = chunk } });
        return copy;
    }
}
