using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Filters;
using BitSieve.Tests.Engine;
using Xunit.Abstractions;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Filtered search against brute force: 1,000 random Qdrant filters over payloads built from the real corpus
/// (docs-minilm: source paths, sections, word counts, code markers, keywords), selectivities from 0.1% to 100%;
/// the exact cascade must equal filtering every point with the reference evaluator and scoring the survivors exactly.
/// </summary>
public sealed class FilteredSearchTests(ITestOutputHelper output) : IDisposable
{
    private const int Points = MiniLmFixture.BaseRows, Filters = 1000, K = 10;
    private static readonly string[] Vocabulary = ["python", "file", "function", "class", "debian", "package", "return", "module", "string", "list", "system", "error"];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-filter-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Filtered_cascade_search_equals_brute_force_filtering_plus_exact_search()
    {
        var vectors = MiniLmFixture.Base;
        var queries = MiniLmFixture.Queries;
        var lines = File.ReadLines(MiniLmFixture.FilePath("base.jsonl")).Take(Points).ToArray();
        var payloads = lines.Select((line, row) => PayloadOf(JsonNode.Parse(line)!.AsObject(), row)).ToArray();
        var ids = Enumerable.Range(0, Points).Select(r => r % 10 == 0 ? new PointId(new Guid(r, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8)) : new PointId((ulong)r * 3)).ToArray();

        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = 384 });
        c.Upsert(Enumerable.Range(0, Points).Select(r => new Point(ids[r], vectors.AsMemory(r * 384, 384), payloads[r])).ToList());
        c.CreatePayloadIndex("section", "keyword");
        c.CreatePayloadIndex("words", "integer");
        var elements = payloads.Select(p => JsonSerializer.SerializeToElement(p)).ToArray();

        var random = new Random(12345);
        var bands = new int[5];
        for (int f = 0; f < Filters; f++)
        {
            var filterJson = RandomFilter(random, ids);
            var filter = Filter.Parse(filterJson.ToJsonString());
            var allowed = Enumerable.Range(0, Points).Where(r => filter.Matches(ids[r], elements[r])).ToList();
            double selectivity = allowed.Count / (double)Points;
            bands[selectivity switch { < 0.002 => 0, < 0.02 => 1, < 0.2 => 2, < 0.8 => 3, _ => 4 }]++;

            var query = queries.AsSpan(f % MiniLmFixture.QueryRows * 384, 384).ToArray();
            var expected = allowed
                .Select(r => (Id: ids[r], Score: (float)TestData.Dot(vectors.AsSpan(r * 384, 384), query) / (float)Math.Sqrt(TestData.Dot(vectors.AsSpan(r * 384, 384), vectors.AsSpan(r * 384, 384)) * TestData.Dot(query, query))))
                .OrderByDescending(h => h.Score).Take(K).ToList();
            var found = c.Search(query, new SearchOptions { K = K, Quality = Quality.Exact }, filter, withPayload: false).Hits;

            string what = $"filter {f} ({allowed.Count} allowed): {filterJson.ToJsonString()}";
            Assert.True(expected.Count == found.Count, $"{what}: {found.Count} hits, expected {expected.Count}");
            for (int i = 0; i < found.Count; i++)
                Assert.True(Math.Abs(expected[i].Score - found[i].Score) < 1e-5f, $"{what}: hit {i} scores {found[i].Score}, expected {expected[i].Score}");
            var allowedIds = allowed.Select(r => ids[r]).ToHashSet();
            Assert.All(found, h => Assert.Contains(h.Id, allowedIds));
            // Ids agree except where scores tie.
            var distinctScores = expected.Select(h => h.Score).Distinct().Count() == expected.Count;
            if (distinctScores) Assert.Equal(expected.Select(h => h.Id), found.Select(h => h.Id));

            Assert.Equal(allowed.Count, c.CountPoints(filter));
            if (f % 50 == 0)
            {
                var approximate = c.Search(query, new SearchOptions { K = K }, filter, withPayload: false).Hits;
                Assert.All(approximate, h => Assert.Contains(h.Id, allowedIds));
            }
        }
        output.WriteLine($"selectivity bands <0.2%: {bands[0]}, 0.2–2%: {bands[1]}, 2–20%: {bands[2]}, 20–80%: {bands[3]}, ≥80%: {bands[4]}");
        Assert.All(bands, b => Assert.True(b >= 30, $"selectivity bands {string.Join(", ", bands)}: every band needs ≥ 30 filters"));
    }

    /// <summary>A payload from a real corpus line: its source path split up, its size, markers and keywords.</summary>
    private static JsonObject PayloadOf(JsonObject line, int row)
    {
        string source = line["source"]!.GetValue<string>();
        string text = line["text"]!.GetValue<string>();
        var parts = source.Split('/');
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var lower = text.ToLowerInvariant();
        var keywords = new JsonArray(Vocabulary.Where(w => lower.Contains(w, StringComparison.Ordinal)).Select(w => (JsonNode)w).ToArray());
        return new JsonObject
        {
            ["source"] = source,
            ["section"] = parts.Length > 2 ? parts[1] : parts[0],
            ["file"] = parts[^1],
            ["words"] = words.Length,
            ["has_code"] = text.Contains("``", StringComparison.Ordinal),
            ["keywords"] = keywords,
            ["meta"] = new JsonObject { ["chars"] = text.Length, ["corpus"] = parts[0], ["rank"] = (row * 7919) % Points },
        };
    }

    private static JsonObject RandomFilter(Random random, PointId[] ids)
    {
        int clauses = 1 + random.Next(3);
        var filter = new JsonObject();
        foreach (string kind in new[] { "must", "should", "must_not" }.OrderBy(_ => random.Next()).Take(clauses))
        {
            int count = kind == "must_not" ? 1 : 1 + random.Next(2);
            filter[kind] = new JsonArray(Enumerable.Range(0, count).Select(_ => (JsonNode)RandomCondition(random, ids, kind == "must_not")).ToArray());
        }
        return filter;
    }

    private static JsonObject RandomCondition(Random random, PointId[] ids, bool negated)
    {
        // A rank range sets the selectivity directly, from 0.1% to 100%; the other conditions are real fields.
        double target = Math.Pow(10, random.NextDouble() * 3 - 3);
        if (negated) target = Math.Min(target, 0.2);
        switch (random.Next(9))
        {
            case 0:
            case 1:
                return new JsonObject { ["key"] = "meta.rank", ["range"] = new JsonObject { ["lt"] = Math.Max(1, (int)(target * Points)) } };
            case 2:
                return new JsonObject { ["key"] = "section", ["match"] = new JsonObject { ["value"] = random.Next(3) switch { 0 => "library", 1 => "howto", _ => "reference" } } };
            case 3:
                return new JsonObject { ["key"] = "keywords", ["match"] = new JsonObject { ["any"] = new JsonArray(Vocabulary.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).Select(w => (JsonNode)w).ToArray()) } };
            case 4:
                return new JsonObject { ["key"] = "words", ["range"] = new JsonObject { ["gte"] = 60 + random.Next(50), ["lt"] = 100 + random.Next(60) } };
            case 5:
                return new JsonObject { ["key"] = "has_code", ["match"] = new JsonObject { ["value"] = random.Next(2) == 0 } };
            case 6:
                return new JsonObject { ["is_empty"] = new JsonObject { ["key"] = "keywords" } };
            case 7:
                return new JsonObject { ["has_id"] = new JsonArray(Enumerable.Range(0, 1 + random.Next(40)).Select(_ => { var id = ids[random.Next(ids.Length)]; return id.IsUuid ? (JsonNode)id.ToString() : (JsonNode)id.Number; }).ToArray()) };
            default:
                return new JsonObject { ["key"] = "meta.corpus", ["match"] = new JsonObject { ["value"] = random.Next(2) == 0 ? "_sources" : "debian-reference" } };
        }
    }
}
