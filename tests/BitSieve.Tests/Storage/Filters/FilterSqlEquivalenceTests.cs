using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Filters;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage.Filters;

/// <summary>
/// 2,000 points with realistic random payloads, 1,000 random filters: the SQLite translation must select exactly
/// the points the in-memory evaluator selects, and (every fifth filter) its negation exactly the others: no NULL leaks through NOT.
/// Each filter's JSON text (<see cref="Filter.ToJson"/>, how a filter built in code travels to a cluster's shards) reads
/// back to a filter with the same text that selects the same points.
/// </summary>
public sealed class FilterSqlEquivalenceTests
{
    private static readonly string[] Cities =
        ["London", "Berlin", "Moscow", "Tokyo", "Paris", "São Paulo", "Zürich", "New York", "O'Hare", "Ōsaka",
         "Kraków", "\"Quoted\"", "Back\\slash", "", "london", "1", "true", "[1]", "Reykjavík", "Lagos"];

    private static readonly string[] Colors = ["red", "green", "blue", "black", "white", "yellow"];

    private static readonly string[] Words = ["vector", "search", "engine", "quantized", "bit", "sieve", "fast", "exact"];

    private static readonly string[] Dates =
    [
        "2023-02-08T10:49:00Z", "2023-02-08T19:49:00+09:00", "2023-02-08", "2023-02-08 10:49", "2023-02-08T10:49",
        "2024-01-31T10:14:31.5Z", "2024-01-31T10:14:31.123456789-05:30", "2024-01-31 10:14:31z", "2020-01-01T00:00:00.999Z",
        "2020-01-01T00:00:00.9996Z", "2020-01-01T00:00:01.0004+00:00", "1999-12-31T23:59:59-14:00", "2000-01-01T13:59:59+14:00",
        "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2023-02-08T24:00:00Z", "2023-02-08T10:49:00+15:00", "now",
        "2023-02-08T10:49:00.Z", "2023-02-08T10:49:00.1234567890Z", "2023-2-8", "0000-01-01", "0001-01-01T00:00:00Z",
        "2023-02-08T10:49:00 +01:00", "2023-02-08T10:49:00+0100", "2023-02-08t10:49:00Z", "12:30", "2460000.5", "9999-12-31",
    ];

    [Fact]
    public void Sql_and_evaluator_agree_on_random_filters()
    {
        var random = new Random(20240611);
        using var db = new PointsDb();
        var ids = new List<PointId>();
        var seen = new HashSet<PointId>();
        while (ids.Count < 2000)
        {
            PointId id = random.Next(10) < 7
                ? (random.Next(5) == 0 ? (ulong)random.NextInt64() + (ulong)long.MaxValue : (ulong)random.Next(5000))
                : new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 16));
            if (seen.Add(id)) ids.Add(id);
        }
        using (SqliteTransaction tx = db.Connection.BeginTransaction())
        {
            foreach (PointId id in ids) db.Add(id, Payload(random).ToJsonString());
            tx.Commit();
        }

        int[] buckets = new int[5]; // 0, ≤0.5%, ≤10%, <100%, 100%
        for (int i = 0; i < 1000; i++)
        {
            JsonObject filterJson = RandomFilter(random, ids, depth: 0);
            string text = filterJson.ToJsonString();
            Filter filter = Filter.Parse(text);
            SortedSet<long> memory = db.MemoryKeys(filter);
            SortedSet<long> sql = db.SqlKeys(filter);
            if (!memory.SetEquals(sql))
            {
                Assert.Fail($"Filter #{i} {text}\nSQL: {FilterSql.Translate(filter).WhereClause}\nonly in memory: {string.Join(",", memory.Except(sql).Take(5).Select(k => db.Points[(int)k - 1].Payload.GetRawText()))}\nonly in SQL: {string.Join(",", sql.Except(memory).Take(5).Select(k => db.Points[(int)k - 1].Payload.GetRawText()))}");
            }
            if (i % 5 == 0) Assert.Equal(2000 - memory.Count, NegatedCount(db, filter));
            string written = filter.ToJson();
            Filter reread = Filter.Parse(written);
            Assert.Equal(written, reread.ToJson());
            Assert.True(memory.SetEquals(db.MemoryKeys(reread)), $"Filter #{i} {text} written as {written} selects other points");
            buckets[memory.Count switch { 0 => 0, <= 10 => 1, <= 200 => 2, < 2000 => 3, _ => 4 }]++;
        }
        // The generator covers the whole range of selectivities.
        Assert.All(buckets, b => Assert.True(b >= 20, $"selectivity buckets {string.Join(",", buckets)}"));
    }

    private static long NegatedCount(PointsDb db, Filter filter)
    {
        FilterSqlClause clause = FilterSql.Translate(filter);
        using SqliteCommand cmd = db.Connection.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM points WHERE NOT {clause.WhereClause}";
        clause.AddParametersTo(cmd);
        return (long)cmd.ExecuteScalar()!;
    }

    // ---------- payloads ----------

    private static JsonObject Payload(Random r)
    {
        var p = new JsonObject();
        void Maybe(string key, int percent, Func<JsonNode?> value)
        {
            if (r.Next(100) < percent) p[key] = value();
        }
        Maybe("city", 90, () => r.Next(10) switch
        {
            0 => null,
            1 => Array(r, 0, 3, () => Cities[r.Next(Cities.Length)]),
            _ => Cities[r.Next(Cities.Length)],
        });
        Maybe("color", 80, () => Colors[r.Next(Colors.Length)]);
        Maybe("n", 85, () => r.Next(12) switch
        {
            0 => null,
            1 => JsonValue.Create(r.Next(-5, 5) + 0.5),
            2 => JsonNode.Parse(r.Next(-50, 50).ToString(CultureInfo.InvariantCulture) + ".0"),
            3 => r.Next(-50, 50).ToString(CultureInfo.InvariantCulture),
            4 => r.Next(2) == 0,
            5 => Array(r, 0, 4, () => r.Next(-50, 50)),
            6 => JsonNode.Parse("9007199254740993"),
            _ => r.Next(-50, 50),
        });
        Maybe("price", 80, () => Math.Round(r.NextDouble() * 1000, 2));
        Maybe("flag", 80, () => r.Next(8) switch { 0 => null, 1 => "true", 2 => Array(r, 1, 2, () => r.Next(2) == 0), _ => r.Next(2) == 0 });
        Maybe("tags", 80, () => r.Next(10) switch
        {
            0 => null,
            1 => Colors[r.Next(Colors.Length)],
            2 => new JsonArray(Array(r, 1, 2, () => Colors[r.Next(Colors.Length)])),
            3 => new JsonArray(null, Colors[r.Next(Colors.Length)]),
            4 => new JsonArray(),
            _ => Array(r, 0, 4, () => Colors[r.Next(Colors.Length)]),
        });
        Maybe("nums", 60, () => Array(r, 0, 5, () => r.Next(3) == 0 ? JsonValue.Create(r.Next(0, 20) + 0.25) : JsonValue.Create(r.Next(0, 20))));
        Maybe("meta", 70, () => new JsonObject
        {
            ["a"] = r.Next(4) == 0 ? null : new JsonObject { ["b"] = r.Next(3) == 0 ? Colors[r.Next(Colors.Length)] : r.Next(0, 10) },
            ["c"] = r.Next(3) == 0 ? JsonValue.Create(r.Next(10)) : Array(r, 0, 3, () => r.Next(10)),
        });
        Maybe("items", 70, () => Array(r, 0, 3, () => new JsonObject
        {
            ["name"] = r.Next(6) == 0 ? null : Colors[r.Next(Colors.Length)],
            ["qty"] = r.Next(6) == 0 ? JsonValue.Create("3") : JsonValue.Create(r.Next(0, 10)),
            ["sub"] = Array(r, 0, 2, () => new JsonObject { ["x"] = r.Next(0, 5) }),
        }));
        Maybe("date", 80, () => r.Next(8) == 0 ? Array(r, 0, 3, () => RandomDate(r)) : RandomDate(r));
        Maybe("weird key", 50, () => Colors[r.Next(Colors.Length)]);
        Maybe("it's $x", 30, () => r.Next(10));
        Maybe("text", 60, () => string.Join(' ', Enumerable.Range(0, r.Next(1, 5)).Select(_ => Words[r.Next(Words.Length)])));
        return p;
    }

    private static JsonNode RandomDate(Random r)
    {
        if (r.Next(3) == 0) return Dates[r.Next(Dates.Length)];
        // Random instants in various shapes and offsets.
        var t = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(r.Next(0, 3 * 365 * 24 * 60));
        int offsetMinutes = r.Next(5) switch { 0 => 0, 1 => 540, 2 => -330, 3 => 840, _ => -720 };
        DateTimeOffset local = t.ToOffset(TimeSpan.FromMinutes(offsetMinutes));
        return r.Next(6) switch
        {
            0 => local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            1 => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            2 => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            3 => t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            4 => local.ToString("yyyy-MM-dd HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            _ => t.AddTicks(r.Next(10_000_000)).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        };
    }

    private static JsonArray Array(Random r, int min, int max, Func<JsonNode?> item) =>
        new([.. Enumerable.Range(0, r.Next(min, max + 1)).Select(_ => item())]);

    // ---------- filters ----------

    private static readonly string[] StringKeys =
        ["city", "color", "tags", "tags[]", "meta.a.b", "items[].name", "items[0].name", "\"weird key\"", "text", "missing", "n"];

    private static readonly string[] NumberKeys =
        ["n", "price", "nums", "nums[]", "meta.a.b", "meta.c", "meta.c[]", "items[].qty", "items[].sub[].x", "\"it's $x\"", "missing", "city"];

    private static readonly string[] AnyKeys =
        ["city", "color", "n", "price", "flag", "tags", "tags[]", "nums", "meta", "meta.a", "meta.a.b", "meta.c", "items",
         "items[]", "items[].name", "items[].sub", "items[].sub[].x", "date", "missing", "\"weird key\"", "text"];

    private static JsonObject RandomFilter(Random r, List<PointId> ids, int depth)
    {
        var f = new JsonObject();
        string[] clauses = ["must", "should", "must_not"];
        foreach (string clause in clauses)
        {
            if (r.Next(3) != 0) continue;
            f[clause] = new JsonArray([.. Enumerable.Range(0, r.Next(0, 4)).Select(_ => (JsonNode)RandomCondition(r, ids, depth))]);
        }
        if (r.Next(10) == 0)
        {
            int n = r.Next(0, 4);
            f["min_should"] = new JsonObject
            {
                ["conditions"] = new JsonArray([.. Enumerable.Range(0, n).Select(_ => (JsonNode)RandomCondition(r, ids, depth))]),
                ["min_count"] = r.Next(1, 3),
            };
        }
        return f;
    }

    private static JsonObject RandomCondition(Random r, List<PointId> ids, int depth, bool inNested = false)
    {
        int kind = r.Next(depth < 3 ? 17 : 15);
        static JsonObject Field(string key, string op, JsonNode body) => new() { ["key"] = key, [op] = body };
        string Pick(string[] a) => a[r.Next(a.Length)];
        JsonNode Num() => r.Next(3) switch
        {
            0 => JsonValue.Create(Math.Round(r.NextDouble() * 1000, 2)),
            1 => JsonValue.Create(r.Next(-5, 5) + 0.5),
            _ => JsonValue.Create(r.Next(-10, 50)),
        };
        JsonNode Str() => r.Next(3) switch { 0 => Pick(Cities), _ => Pick(Colors) };
        switch (kind)
        {
            case 0:
            case 1:
                return Field(Pick(StringKeys), "match", new JsonObject { ["value"] = Str() });
            case 2:
                return Field(Pick(NumberKeys), "match", new JsonObject { ["value"] = r.Next(-5, 20) });
            case 3:
                return Field(r.Next(2) == 0 ? "flag" : Pick(AnyKeys), "match", new JsonObject { ["value"] = r.Next(2) == 0 });
            case 4:
                return Field(Pick(StringKeys), "match", new JsonObject { ["any"] = new JsonArray([.. Enumerable.Range(0, r.Next(0, 4)).Select(_ => Str())]) });
            case 5:
                // Sometimes longer than FilterSql's inline limit, so that the json_each form runs too.
                return Field(Pick(NumberKeys), "match", new JsonObject { ["any"] = new JsonArray([.. Enumerable.Range(0, r.Next(4) == 0 ? 80 : r.Next(1, 4)).Select(_ => (JsonNode)r.Next(-5, 20))]) });
            case 6:
                return Field(Pick(AnyKeys), "match", new JsonObject
                {
                    ["except"] = r.Next(2) == 0
                        ? new JsonArray([.. Enumerable.Range(0, r.Next(4) == 0 ? 70 : r.Next(0, 4)).Select(_ => Str())])
                        : new JsonArray([.. Enumerable.Range(0, r.Next(1, 4)).Select(_ => (JsonNode)r.Next(-5, 20))]),
                });
            case 7:
                return Field(r.Next(3) == 0 ? Pick(StringKeys) : "text", "match", new JsonObject { ["text"] = Pick(Words)[..r.Next(0, 4)] });
            case 8:
            case 9:
            {
                var range = new JsonObject();
                foreach (string b in new[] { "gt", "gte", "lt", "lte" })
                {
                    if (r.Next(3) == 0) range[b] = Num();
                }
                return Field(Pick(NumberKeys), "range", range);
            }
            case 10:
            {
                var range = new JsonObject();
                foreach (string b in new[] { "gt", "gte", "lt", "lte" })
                {
                    if (r.Next(2) == 0) continue;
                    string d;
                    do
                    {
                        d = (string)RandomDate(r)!;
                    }
                    while (!PayloadDateTime.TryParse(d, out _));
                    range[b] = d;
                }
                if (range.Count == 0) range["gte"] = "2021-06-01T00:00:00+02:00";
                return Field(r.Next(4) == 0 ? "date[]" : "date", "range", range);
            }
            case 11:
            {
                var count = new JsonObject();
                foreach (string b in new[] { "gt", "gte", "lt", "lte" })
                {
                    if (r.Next(3) == 0) count[b] = r.Next(0, 4);
                }
                return Field(Pick(AnyKeys), "values_count", count);
            }
            case 12:
                return new JsonObject { ["is_empty"] = new JsonObject { ["key"] = Pick(AnyKeys) } };
            case 13:
                return new JsonObject { ["is_null"] = new JsonObject { ["key"] = Pick(AnyKeys) } };
            case 14:
                if (inNested) return new JsonObject { ["is_null"] = new JsonObject { ["key"] = "name" } };
                return new JsonObject
                {
                    ["has_id"] = new JsonArray([.. Enumerable.Range(0, r.Next(0, r.Next(3) == 0 ? 150 : 40)).Select(_ =>
                    {
                        PointId id = r.Next(10) == 0 ? (PointId)(ulong)r.Next(5000) : ids[r.Next(ids.Count)];
                        return id.IsUuid ? (JsonNode)id.ToString() : JsonValue.Create(id.Number);
                    })]),
                };
            case 15:
                return RandomFilter(r, ids, depth + 1);
            default:
            {
                var inner = new JsonObject();
                var must = new JsonArray();
                for (int i = r.Next(1, 3); i > 0; i--)
                {
                    must.Add(r.Next(3) switch
                    {
                        0 => Field("name", "match", new JsonObject { ["value"] = Pick(Colors) }),
                        1 => Field("qty", "range", new JsonObject { ["gte"] = r.Next(0, 10) }),
                        _ => Field("sub[].x", "match", new JsonObject { ["any"] = new JsonArray(r.Next(5), r.Next(5)) }),
                    });
                }
                inner[r.Next(3) == 0 ? "must_not" : "must"] = must;
                return new JsonObject { ["nested"] = new JsonObject { ["key"] = "items", ["filter"] = inner } };
            }
        }
    }
}
