using System.Text.Json;

namespace BitSieve.Tests.Engine;

/// <summary>The per-query trace: its JSON shape and the counts it must satisfy.</summary>
public sealed class TraceTests
{
    private const int Dim = 32;

    private static void AssertShape(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(["t1", "t2", "t3"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["seen", "kept", "us"], root.GetProperty("t1").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["seen", "kept", "us"], root.GetProperty("t2").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["seen", "us"], root.GetProperty("t3").EnumerateObject().Select(p => p.Name));
        foreach (var tier in root.EnumerateObject())
            foreach (var field in tier.Value.EnumerateObject())
            {
                Assert.Equal(JsonValueKind.Number, field.Value.ValueKind);
                Assert.True(field.Value.TryGetInt64(out long value), $"{tier.Name}.{field.Name} = {field.Value} is not an integer");
                Assert.True(value >= 0, $"{tier.Name}.{field.Name} = {value}");
            }
    }

    private static long Get(string json, string tier, string field)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty(tier).GetProperty(field).GetInt64();
    }

    public static TheoryData<string> Modes => ["default", "exact", "oversampling"];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Trace_json_has_the_documented_shape_and_consistent_counts(string mode)
    {
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        collection.UpsertBatch(TestData.Ids(3000), TestData.Shifted(3000, Dim, seed: 1, shift: 0.5f));
        for (ulong id = 0; id < 3000; id += 10) collection.Delete(id);
        var queries = TestData.Shifted(5, Dim, seed: 2, shift: 0.5f);
        foreach (int k in new[] { 1, 10, 100 })
        {
            var options = mode switch
            {
                "exact" => new SearchOptions { K = k, Quality = Quality.Exact },
                "oversampling" => new SearchOptions { K = k, Oversampling = 2 },
                _ => new SearchOptions { K = k },
            };
            var results = Enumerable.Range(0, 5).Select(i => collection.Search(queries.AsSpan(i * Dim, Dim), options))
                .Concat(collection.SearchBatch(queries, options))
                .Concat([collection.Search(queries.AsSpan(0, Dim), options with { Threads = 2 })]);
            foreach (var result in results)
            {
                string json = result.Trace.ToJson();
                AssertShape(json);
                Assert.Equal(json, result.Trace.ToString());
                Assert.Equal(collection.Count, Get(json, "t1", "seen"));
                Assert.Equal(result.Trace.T1Seen, Get(json, "t1", "seen"));
                Assert.Equal(result.Trace.T3Seen, Get(json, "t3", "seen"));
                Assert.True(Get(json, "t3", "seen") >= result.Hits.Count, json);
                Assert.True(Get(json, "t1", "kept") <= Get(json, "t1", "seen"), json);
                Assert.True(Get(json, "t2", "kept") <= Get(json, "t2", "seen"), json);
                // Exact quality's certification sweep scores every vector at T2, not only T1's survivors.
                Assert.True(Get(json, "t2", "seen") <= Get(json, "t1", mode == "exact" ? "seen" : "kept"), json);
                if (mode != "oversampling") Assert.True(Get(json, "t3", "seen") <= Get(json, "t2", "kept"), json);
                Assert.Equal(k, result.Hits.Count);
            }
        }
    }

    [Fact]
    public void Exact_search_trace_reads_every_live_original()
    {
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
        collection.UpsertBatch(TestData.Ids(500), TestData.Gaussian(500, Dim, seed: 3));
        collection.Delete(7);
        var q = TestData.Gaussian(1, Dim, seed: 4);
        string json = collection.SearchExact(q, 5).Trace.ToJson();
        AssertShape(json);
        Assert.Equal(499, Get(json, "t3", "seen"));
        Assert.Equal(0, Get(json, "t1", "seen"));
        Assert.All(collection.SearchExactBatch(q, 5), r => Assert.Equal(499, r.Trace.T3Seen));
    }

    [Fact]
    public void Empty_trace_and_adding_traces()
    {
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = Dim });
        var trace = collection.Search(TestData.Gaussian(1, Dim, seed: 5)).Trace;
        AssertShape(trace.ToJson());
        foreach (var (tier, field) in new[] { ("t1", "seen"), ("t1", "kept"), ("t2", "seen"), ("t2", "kept"), ("t3", "seen") })
            Assert.Equal(0, Get(trace.ToJson(), tier, field));

        collection.UpsertBatch(TestData.Ids(50), TestData.Gaussian(50, Dim, seed: 6));
        var a = collection.Search(TestData.Gaussian(1, Dim, seed: 7)).Trace;
        var b = collection.Search(TestData.Gaussian(1, Dim, seed: 8)).Trace;
        long t1 = a.T1Seen + b.T1Seen, t3 = a.T3Seen + b.T3Seen;
        a.Add(b);
        Assert.Equal(t1, a.T1Seen);
        Assert.Equal(t3, a.T3Seen);
        Assert.Throws<ArgumentNullException>(() => a.Add(null!));
    }
}
