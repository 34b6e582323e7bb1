using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;

namespace BitSieve.Server.Tests;

using Filter = global::Qdrant.Client.Grpc.Filter;
using PointId = global::Qdrant.Client.Grpc.PointId;
using Range = global::Qdrant.Client.Grpc.Range;
using ScoredPoint = global::Qdrant.Client.Grpc.ScoredPoint;

/// <summary>
/// The official .NET client (<c>Qdrant.Client</c> 1.20.0's <see cref="QdrantClient"/>, over gRPC) runs the same complete
/// RAG flow as the JavaScript client test (<c>tests/qdrant-js/rag-flow.mjs</c>) against a real server on a free port,
/// every answer checked against exact cosine search computed here.
/// </summary>
public sealed class QdrantGrpcClientTests
{
    private const int Dim = 96;
    private const int Count = 2000;
    private const int UuidCount = 100;
    private const string Key = "grpc-flow-key";
    private static readonly string[] Topics = ["storage", "search", "ingest", "server"];

    [Fact]
    public async Task Official_Qdrant_dotnet_client_runs_a_complete_RAG_flow_over_grpc()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { ApiKey = Key, GrpcPort = 0 });
        using var client = new QdrantClient(host.Server.GrpcAddress!, apiKey: Key);
        var data = new FlowData();
        const string name = "rag-flow";

        // 1. A fresh collection with binary quantization.
        Assert.Equal(QdrantApiVersion, (await client.HealthAsync()).Version);
        Assert.False(await client.CollectionExistsAsync(name));
        await client.CreateCollectionAsync(name, new VectorParams { Size = Dim, Distance = Distance.Cosine },
            quantizationConfig: new QuantizationConfig { Binary = new BinaryQuantization() });
        Assert.True(await client.CollectionExistsAsync(name));
        var info = await client.GetCollectionInfoAsync(name);
        Assert.Equal((ulong)Dim, info.Config.Params.VectorsConfig.Params.Size);
        Assert.Equal(Distance.Cosine, info.Config.Params.VectorsConfig.Params.Distance);
        Assert.NotNull(info.Config.QuantizationConfig.Binary);
        Assert.Contains(name, await client.ListCollectionsAsync());

        // 2. Upsert 2,000 points with payloads in batches of 250.
        for (int start = 0; start < Count; start += 250)
        {
            var batch = data.Points.Skip(start).Take(250).Select(p => p.ToStruct()).ToList();
            Assert.Equal(UpdateStatus.Completed, (await client.UpsertAsync(name, batch)).Status);
        }
        Assert.Equal((ulong)Count, await client.CountAsync(name));

        // 3. Payload indexes.
        await client.CreatePayloadIndexAsync(name, "topic", PayloadSchemaType.Keyword);
        await client.CreatePayloadIndexAsync(name, "n", PayloadSchemaType.Integer);
        info = await client.GetCollectionInfoAsync(name);
        Assert.Equal((ulong)Count, info.PointsCount);
        Assert.Equal(PayloadSchemaType.Keyword, info.PayloadSchema["topic"].DataType);
        Assert.Equal((ulong)Count, info.PayloadSchema["topic"].Points);
        Assert.Equal(PayloadSchemaType.Integer, info.PayloadSchema["n"].DataType);

        // 4. Queries: exact parameters give exactly the brute-force top k; the cascade and oversampling give exact scores, high recall.
        var live = data.Points.ToList();
        double cascadeRecall = 0, oversamplingRecall = 0;
        var exact = new SearchParams { Exact = true };
        foreach (var query in data.Queries)
        {
            var truth = FlowData.ExactTop(query, 10, live);
            var hits = await client.QueryAsync(name, query, searchParams: exact, limit: 10, payloadSelector: true);
            AssertSameRanking(truth, hits);
            Assert.NotNull(hits[0].Payload["topic"].StringValue);

            var ignore = await client.QueryAsync(name, query, searchParams: new SearchParams { Quantization = new QuantizationSearchParams { Ignore = true } }, limit: 10,
                payloadSelector: false);
            AssertSameRanking(truth, ignore);
            Assert.Empty(ignore[0].Payload);

            var cascade = await client.QueryAsync(name, query, limit: 10);
            cascadeRecall += Recall(cascade, truth) / data.Queries.Count;
            foreach (var hit in cascade) Assert.Equal(FlowData.Cosine(query, data.Unit(hit.Id)), hit.Score, 1e-4);

            var oversampled = await client.QueryAsync(name, query, limit: 10,
                searchParams: new SearchParams { Quantization = new QuantizationSearchParams { Rescore = true, Oversampling = 10 } });
            oversamplingRecall += Recall(oversampled, truth) / data.Queries.Count;
            foreach (var hit in oversampled) Assert.Equal(FlowData.Cosine(query, data.Unit(hit.Id)), hit.Score, 1e-4);

            // Filtered, exact, with an include list.
            var filter = MatchKeyword("topic", "storage") & Range("n", new Range { Lt = 1500 });
            var filtered = await client.QueryAsync(name, query, filter: filter, searchParams: exact, limit: 5,
                payloadSelector: new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { "topic", "n" } } });
            AssertSameRanking(FlowData.ExactTop(query, 5, live, p => p.Topic == "storage" && p.N < 1500), filtered);
            Assert.All(filtered, h => Assert.True(h.Payload["topic"].StringValue == "storage" && h.Payload["n"].IntegerValue < 1500 && !h.Payload.ContainsKey("text")));

            // Offset and score threshold.
            AssertSameRanking(truth.Skip(5).ToList(), await client.QueryAsync(name, query, searchParams: exact, limit: 5, offset: 5));
            float threshold = (float)truth[3].Score - 1e-6f;
            AssertSameRanking(truth.Take(4).ToList(), await client.QueryAsync(name, query, searchParams: exact, limit: 10, scoreThreshold: threshold));

            // The older search API, with vectors: returned in both `dense` and `data`.
#pragma warning disable CS0618 // the older search API is part of what is served
            var searched = await client.SearchAsync(name, query, searchParams: exact, limit: 3, vectorsSelector: true);
#pragma warning restore CS0618
            AssertSameRanking(truth.Take(3).ToList(), searched);
#pragma warning disable CS0612
            Assert.Equal(searched[0].Vectors.Vector.Dense.Data, searched[0].Vectors.Vector.Data);
#pragma warning restore CS0612
            AssertVector(data.Unit(searched[0].Id), searched[0].Vectors.Vector.Dense.Data);
        }
        Assert.True(cascadeRecall >= 0.95, $"cascade recall@10 {cascadeRecall}");
        Assert.True(oversamplingRecall >= 0.8, $"oversampling recall@10 {oversamplingRecall}");

        // Batches.
        var queryBatch = await client.QueryBatchAsync(name, [.. data.Queries.Take(3).Select(q => new QueryPoints
        {
            CollectionName = name, Query = q, Limit = 3, Params = exact,
        })]);
        Assert.Equal(3, queryBatch.Count);
        for (int i = 0; i < 3; i++) AssertSameRanking(FlowData.ExactTop(data.Queries[i], 3, live), queryBatch[i].Result);
#pragma warning disable CS0618 // the older search API is part of what is served
        var searchBatch = await client.SearchBatchAsync(name, [.. data.Queries.Take(2).Select(q => new SearchPoints
        {
            CollectionName = name, Vector = { q }, Limit = 4, Params = exact,
        })]);
#pragma warning restore CS0618
        for (int i = 0; i < 2; i++) AssertSameRanking(FlowData.ExactTop(data.Queries[i], 4, live), searchBatch[i].Result);

        // 5. Retrieve by ids, with payloads and vectors.
        var wanted = new[] { data.Points[1], data.Points[5], data.Points[Count - 1] };
        var retrieved = await client.RetrieveAsync(name, [.. wanted.Select(p => p.GrpcId)], withPayload: true, withVectors: true);
        Assert.Equal(3, retrieved.Count);
        foreach (var point in wanted)
        {
            var got = retrieved.Single(r => FlowData.Key(r.Id) == point.Key);
            Assert.Equal(point.PayloadJson(), PayloadJson(got.Payload));
            AssertVector(data.Unit(got.Id), got.Vectors.Vector.Dense.Data);
        }

        // 6. Scroll through everything: integers in order, then UUIDs.
        var seen = new List<string>();
        PointId? offset = null;
        do
        {
            var page = await client.ScrollAsync(name, limit: 256, offset: offset, payloadSelector: false);
            Assert.All(page.Result, p => Assert.Empty(p.Payload));
            seen.AddRange(page.Result.Select(p => FlowData.Key(p.Id)));
            offset = page.NextPageOffset;
        }
        while (offset is not null);
        var expectedOrder = data.Points.Where(p => !p.IsUuid).Select(p => p.Key)
            .Concat(data.Points.Where(p => p.IsUuid).Select(p => p.Key).Order(StringComparer.Ordinal)).ToList();
        Assert.Equal(expectedOrder, seen);
        var storage = await client.ScrollAsync(name, MatchKeyword("topic", "storage"), limit: 1000);
        Assert.Equal(Count / 4, storage.Result.Count);
        Assert.Null(storage.NextPageOffset);

        // 7. Count with a filter.
        Assert.Equal(200ul, await client.CountAsync(name, Range("n", new Range { Gte = 100, Lt = 300 })));

        // 8. Payload writes: points 10, 11 (integer ids) and COUNT-2 (a UUID).
        ulong[] numbers = [10, 11];
        var uuid = Guid.Parse(data.Points[Count - 2].Key);
        await client.SetPayloadAsync(name, new Dictionary<string, Value> { ["reviewed"] = true }, numbers);
        await client.SetPayloadAsync(name, new Dictionary<string, Value> { ["reviewed"] = true }, uuid);
        var touched = await client.RetrieveAsync(name, [10ul, 11ul, uuid], withPayload: true);
        Assert.All(touched, p => Assert.True(p.Payload["reviewed"].BoolValue && p.Payload.ContainsKey("topic")));
        await client.OverwritePayloadAsync(name, new Dictionary<string, Value> { ["only"] = "this" }, 10ul);
        Assert.Equal("""{"only":"this"}""", PayloadJson((await client.RetrieveAsync(name, 10ul, withPayload: true))[0].Payload));
        await client.DeletePayloadAsync(name, ["reviewed"], 11ul);
        await client.DeletePayloadAsync(name, ["reviewed"], uuid);
        touched = await client.RetrieveAsync(name, [11ul, uuid], withPayload: true);
        Assert.All(touched, p => Assert.True(!p.Payload.ContainsKey("reviewed") && p.Payload.ContainsKey("topic")));
        await client.ClearPayloadAsync(name, uuid);
        Assert.Empty((await client.RetrieveAsync(name, uuid, withPayload: true))[0].Payload);
        await client.SetPayloadAsync(name, new Dictionary<string, Value> { ["flagged"] = true }, MatchKeyword("source", "doc-7.md"));
        Assert.Equal(10ul, await client.CountAsync(name, Match("flagged", true)));
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.SetPayloadAsync(name, new Dictionary<string, Value> { ["x"] = 1 }, 987654ul));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("No point with id 987654 found", missing.Status.Detail, StringComparison.Ordinal);

        // 9. Delete by filter and by ids; searches no longer see those points.
        await client.DeleteAsync(name, MatchKeyword("topic", "ingest"));
        // Points 10 and COUNT-2 lost their topic above, so the filter did not delete them: delete them by id.
        await client.DeleteAsync(name, [new PointId { Num = 10 }, new PointId { Uuid = uuid.ToString() }]);
        live = [.. live.Where(p => p.Topic != "ingest" && p.Key != "10" && p.Key != uuid.ToString())];
        Assert.Equal((ulong)live.Count, await client.CountAsync(name));
        foreach (var query in data.Queries.Take(5))
            AssertSameRanking(FlowData.ExactTop(query, 10, live), await client.QueryAsync(name, query, searchParams: exact, limit: 10));

        // 10. Errors: Qdrant's messages, as gRPC status codes; what BitSieve lacks is named.
        var wrongDimension = await Assert.ThrowsAsync<RpcException>(() => client.QueryAsync(name, new float[] { 1, 2, 3 }, limit: 3));
        Assert.Equal(StatusCode.InvalidArgument, wrongDimension.StatusCode);
        Assert.Contains("Vector dimension error: expected dim: 96, got 3", wrongDimension.Status.Detail, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.GetCollectionInfoAsync("no-such-collection"));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("Not found: Collection `no-such-collection` doesn't exist!", unknown.Status.Detail);
        var named = await Assert.ThrowsAsync<RpcException>(() => client.QueryAsync(name, data.Queries[0], usingVector: "title", limit: 3));
        Assert.Equal(StatusCode.InvalidArgument, named.StatusCode);
        Assert.Contains("the named vector `title` in `using` is not supported by BitSieve", named.Status.Detail, StringComparison.Ordinal);
#pragma warning disable CS0618 // a method BitSieve does not serve
        var recommend = await Assert.ThrowsAsync<RpcException>(() => client.RecommendAsync(name, positive: [1ul], limit: 3));
#pragma warning restore CS0618
        Assert.Equal(StatusCode.Unimplemented, recommend.StatusCode);
        Assert.Contains("qdrant.Points/Recommend is not supported by BitSieve", recommend.Status.Detail, StringComparison.Ordinal);

        // 11. Delete the collection.
        await client.DeleteCollectionAsync(name);
        Assert.False(await client.CollectionExistsAsync(name));
    }

    [Fact]
    public async Task A_missing_key_is_unauthenticated_and_a_wrong_one_permission_denied()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { ApiKey = Key, GrpcPort = 0 });
        using (var anonymous = new QdrantClient(host.Server.GrpcAddress!))
        {
            Assert.Equal(QdrantApiVersion, (await anonymous.HealthAsync()).Version); // open, as REST's GET /
            var e = await Assert.ThrowsAsync<RpcException>(() => anonymous.ListCollectionsAsync());
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Equal("Must provide an API key or an Authorization bearer token", e.Status.Detail);
        }
        foreach (string wrong in new[] { "grpc-flow-kez", "g", Key + "-and-more" })
        {
            using var client = new QdrantClient(host.Server.GrpcAddress!, apiKey: wrong);
            var e = await Assert.ThrowsAsync<RpcException>(() => client.CollectionExistsAsync("x"));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Equal("Invalid API key", e.Status.Detail);
        }
        using var allowed = new QdrantClient(host.Server.GrpcAddress!, apiKey: Key);
        Assert.Empty(await allowed.ListCollectionsAsync());
    }

    [Fact]
    public async Task The_grpc_port_speaks_only_grpc_and_rest_refuses_grpc_bodies()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { GrpcPort = 0 });
        var grpc = host.Server.GrpcAddress!;
        Assert.DoesNotContain(host.Server.Addresses, a => a.EndsWith($":{grpc.Port}", StringComparison.Ordinal));
        using var h2c = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var json = await h2c.GetAsync(new Uri(grpc, "/collections"));
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/qdrant.Collections/List") { Content = new ByteArrayContent([0, 0, 0, 0, 0]) };
        request.Content.Headers.ContentType = new("application/grpc");
        var rest = await host.Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, rest.StatusCode);
    }

    [Fact]
    public async Task A_host_not_allowed_in_authority_is_refused_as_on_rest()
    {
        // The client sends :authority 127.0.0.1:PORT, which this server is not told to answer to.
        await using var host = await ServerHost.StartAsync(new ServerOptions { GrpcPort = 0, AllowedHosts = ["kb.example"] });
        using var client = new QdrantClient(host.Server.GrpcAddress!);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.ListCollectionsAsync());
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains($"this server does not answer to `127.0.0.1:{host.Server.GrpcAddress!.Port}`; it answers to kb.example", e.Status.Detail, StringComparison.Ordinal);

        await using var loopback = await ServerHost.StartAsync(new ServerOptions { GrpcPort = 0, AllowedHosts = ["kb.example", "127.0.0.1"] });
        using var allowed = new QdrantClient(loopback.Server.GrpcAddress!);
        Assert.Empty(await allowed.ListCollectionsAsync());
    }

    [Fact]
    public async Task Rest_and_grpc_answer_the_same_query_with_the_same_ids_scores_and_payloads()
    {
        await using var host = await ServerHost.StartAsync(new ServerOptions { GrpcPort = 0 });
        using var client = new QdrantClient(host.Server.GrpcAddress!);
        var data = new FlowData(count: 600);
        await host.CreateCollectionAsync("same", Dim);
        var body = new JsonObject
        {
            ["points"] = new JsonArray([.. data.Points.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.IsUuid ? JsonValue.Create(p.Key) : JsonValue.Create(ulong.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture)),
                ["vector"] = new JsonArray([.. p.Vector.Select(x => (JsonNode)JsonValue.Create(x))]),
                ["payload"] = JsonNode.Parse(p.PayloadJson()),
            })]),
        };
        (await host.PutAsync("/collections/same/points", body.ToJsonString())).AssertOk();

        foreach (var (query, i) in data.Queries.Take(6).Select((q, i) => (q, i)))
        {
            // Exact, cascade and oversampling; with and without a filter; payload include lists and all.
            string mode = (i % 3) switch { 0 => """{"exact":true}""", 1 => "null", _ => """{"quantization":{"oversampling":3.0}}""" };
            var parameters = (i % 3) switch
            {
                0 => new SearchParams { Exact = true },
                1 => null,
                _ => new SearchParams { Quantization = new QuantizationSearchParams { Oversampling = 3 } },
            };
            bool filtered = i % 2 == 0;
            string vector = "[" + string.Join(",", query.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
            string filterJson = filtered ? ""","filter":{"must":[{"key":"topic","match":{"any":["storage","search"]}}],"must_not":[{"key":"n","range":{"gte":300}}]}""" : "";
            var rest = await host.PostAsync("/collections/same/points/query",
                $$"""{"query":{{vector}},"limit":12,"params":{{mode}},"with_payload":{{(filtered ? """["topic","n","text"]""" : "true")}}{{filterJson}}}""");
            rest.AssertOk();
            var filter = filtered ? new Filter
            {
                Must = { Match("topic", ["storage", "search"]) },
                MustNot = { Range("n", new Range { Gte = 300 }) },
            } : null;
            var payload = filtered ? new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { "topic", "n", "text" } } } : new WithPayloadSelector { Enable = true };
            var grpc = await client.QueryAsync("same", query, filter: filter, searchParams: parameters, limit: 12, payloadSelector: payload);

            var restPoints = rest.Result.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal(restPoints.Count, grpc.Count);
            Assert.True(grpc.Count > 0);
            for (int k = 0; k < grpc.Count; k++)
            {
                var id = restPoints[k].GetProperty("id");
                Assert.Equal(id.ValueKind == JsonValueKind.String ? id.GetString() : id.GetRawText(), FlowData.Key(grpc[k].Id));
                Assert.Equal(restPoints[k].GetProperty("score").GetSingle(), grpc[k].Score);
                Assert.Equal(JsonNode.Parse(restPoints[k].GetProperty("payload").GetRawText())!.ToJsonString(), PayloadJson(grpc[k].Payload));
            }
        }
    }

    /// <summary>The Qdrant version the server reports.</summary>
    private const string QdrantApiVersion = "1.19.0";

    private static double Recall(IReadOnlyList<ScoredPoint> got, IReadOnlyList<(string Key, double Score)> truth)
    {
        var want = truth.Select(t => t.Key).ToHashSet();
        return got.Count(g => want.Contains(FlowData.Key(g.Id))) / (double)truth.Count;
    }

    /// <summary>The same ids in the same order, a swap allowed only between scores that tie at float32 precision; scores exact.</summary>
    private static void AssertSameRanking(IReadOnlyList<(string Key, double Score)> truth, IReadOnlyList<ScoredPoint> got)
    {
        Assert.Equal(truth.Count, got.Count);
        for (int i = 0; i < truth.Count; i++)
        {
            Assert.True(FlowData.Key(got[i].Id) == truth[i].Key || Math.Abs(got[i].Score - truth[i].Score) < 1e-5,
                $"rank {i}: got {FlowData.Key(got[i].Id)} ({got[i].Score}), expected {truth[i].Key} ({truth[i].Score})");
            Assert.Equal(truth[i].Score, got[i].Score, 1e-4);
        }
    }

    private static void AssertVector(double[] expected, IReadOnlyList<float> got)
    {
        Assert.Equal(expected.Length, got.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 1e-5);
    }

    /// <summary>A gRPC payload as compact JSON (integers as integers, doubles as doubles), to compare with REST's.</summary>
    internal static string PayloadJson(Google.Protobuf.Collections.MapField<string, Value> payload)
    {
        var json = new JsonObject();
        foreach (var (key, value) in payload) json[key] = Json(value);
        return json.ToJsonString();
    }

    private static JsonNode? Json(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => JsonValue.Create(value.StringValue),
        Value.KindOneofCase.IntegerValue => JsonValue.Create(value.IntegerValue),
        Value.KindOneofCase.DoubleValue => JsonValue.Create(value.DoubleValue),
        Value.KindOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        Value.KindOneofCase.StructValue => JsonNode.Parse(PayloadJson(value.StructValue.Fields)),
        Value.KindOneofCase.ListValue => new JsonArray([.. value.ListValue.Values.Select(Json)]),
        _ => null,
    };

    /// <summary>The flow's points (clustered, as real embeddings: 16 centres plus noise; the last 100 have UUID ids) and queries.</summary>
    private sealed class FlowData
    {
        private readonly Dictionary<string, double[]> _unit = [];

        public FlowData(int count = Count)
        {
            var random = new Random(20241128);
            double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var centres = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, Dim).Select(_ => Gaussian()).ToArray()).ToArray();
            for (int i = 0; i < count; i++)
            {
                var vector = centres[i % 16].Select(c => (float)(c + 0.6 * Gaussian())).ToArray();
                var bytes = new byte[16];
                random.NextBytes(bytes);
                string key = i < count - UuidCount ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : new Guid(bytes).ToString();
                var point = new FlowPoint(key, i >= count - UuidCount, vector, Topics[i % 4], i, $"doc-{i / 10}.md", $"passage {i}", i % 5 == 0 ? 0.25 * i : null);
                Points.Add(point);
                _unit[key] = Normalize(vector);
            }
            for (int i = 0; i < 20; i++)
            {
                Queries.Add(i % 2 == 0
                    ? [.. Enumerable.Range(0, Dim).Select(_ => (float)Gaussian())]
                    : [.. Points[(i * 97) % count].Vector.Select(x => (float)(x + 0.3 * Gaussian()))]);
            }
        }

        public List<FlowPoint> Points { get; } = [];

        public List<float[]> Queries { get; } = [];

        public double[] Unit(PointId id) => _unit[Key(id)];

        public static string Key(PointId id) => id.PointIdOptionsCase == PointId.PointIdOptionsOneofCase.Uuid
            ? id.Uuid : id.Num.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public static double[] Normalize(float[] v)
        {
            double norm = Math.Sqrt(v.Sum(x => (double)x * x));
            return [.. v.Select(x => x / norm)];
        }

        public static double Cosine(float[] query, double[] unit)
        {
            var q = Normalize(query);
            return q.Select((x, i) => x * unit[i]).Sum();
        }

        public static List<(string Key, double Score)> ExactTop(float[] query, int limit, IEnumerable<FlowPoint> live, Func<FlowPoint, bool>? where = null) =>
            [.. live.Where(where ?? (_ => true)).Select(p => (p.Key, Cosine(query, Normalize(p.Vector)))).OrderByDescending(p => p.Item2).Take(limit)];
    }

    private sealed record FlowPoint(string Key, bool IsUuid, float[] Vector, string Topic, int N, string Source, string Text, double? Weight)
    {
        public PointId GrpcId => IsUuid ? new PointId { Uuid = Key } : new PointId { Num = ulong.Parse(Key, System.Globalization.CultureInfo.InvariantCulture) };

        public PointStruct ToStruct()
        {
            var point = new PointStruct { Id = GrpcId, Vectors = Vector };
            point.Payload["topic"] = Topic;
            point.Payload["n"] = N;
            point.Payload["source"] = Source;
            point.Payload["text"] = Text;
            if (Weight is { } w) point.Payload["weight"] = w;
            return point;
        }

        public string PayloadJson()
        {
            var json = new JsonObject { ["topic"] = Topic, ["n"] = N, ["source"] = Source, ["text"] = Text };
            if (Weight is { } w) json["weight"] = w;
            return json.ToJsonString();
        }
    }
}
