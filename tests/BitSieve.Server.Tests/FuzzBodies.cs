using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace BitSieve.Server.Tests;

/// <summary>
/// Request bodies for the HTTP fuzz test, from one seeded <see cref="Random"/>: valid bodies of every request kind,
/// then mutated ones (a value replaced by one of the wrong type, a huge or non-finite number, deep nesting, a huge
/// array, an unknown field, a field removed) and broken bytes (truncated JSON, invalid UTF-8, random bytes).
/// </summary>
internal sealed class FuzzBodies(Random random)
{
    /// <summary>The field names of every request kind, so that generated objects often hit a real field.</summary>
    private static readonly string[] Fields =
    [
        "points", "id", "vector", "vectors", "payload", "payloads", "batch", "ids", "filter", "must", "should", "must_not",
        "min_should", "conditions", "min_count", "key", "match", "value", "any", "except", "text", "range", "gt", "gte", "lt",
        "lte", "values_count", "is_empty", "is_null", "has_id", "nested", "limit", "offset", "with_payload", "with_vector",
        "include", "exclude", "params", "exact", "quantization", "ignore", "rescore", "oversampling", "hnsw_ef", "searches", "question", "stream",
        "query", "nearest", "using", "prefetch", "score_threshold", "keys", "field_name", "field_schema", "type", "size",
        "distance", "quantization_config", "scalar", "binary", "documents", "source", "format", "k", "mode", "quality",
        "order_by", "shard_key", "lookup_from", "datetime_range", "geo_radius", "exact", "wait", "on_disk", "sparse_vectors",
    ];

    /// <summary>Valid bodies of every request kind (for a collection of 4 dimensions), by the route they are for.</summary>
    private static readonly Dictionary<string, string[]> ValidByRoute = new(StringComparer.Ordinal)
    {
        ["PUT /collections/{collection_name}/points"] =
        [
            """{"points":[{"id":101,"vector":[0.1,0.2,0.3,0.4],"payload":{"topic":"fuzz","n":1}}]}""",
            """{"batch":{"ids":[102,"6f1a0b3e-1111-4c4d-9e9e-123456789abc"],"vectors":[[1,2,3,4],[4,3,2,1]],"payloads":[{"topic":"x"},null]}}""",
        ],
        ["POST /collections/{collection_name}/points"] = ["""{"ids":[1,2,"6f1a0b3e-1111-4c4d-9e9e-123456789abc"],"with_payload":true,"with_vector":true}"""],
        ["POST /collections/{collection_name}/points/delete"] = ["""{"points":[1,2]}""", """{"filter":{"must":[{"key":"topic","match":{"value":"a"}}]}}"""],
        ["POST /collections/{collection_name}/points/payload"] = ["""{"payload":{"reviewed":true},"points":[1]}""", """{"payload":{"reviewed":true},"filter":{"must":[{"has_id":[2]}]}}"""],
        ["PUT /collections/{collection_name}/points/payload"] = ["""{"payload":{"topic":"z"},"points":[1]}"""],
        ["POST /collections/{collection_name}/points/payload/delete"] = ["""{"keys":["topic"],"points":[1]}"""],
        ["POST /collections/{collection_name}/points/payload/clear"] = ["""{"points":[1]}""", """{"filter":{"must":[{"key":"n","range":{"gte":2}}]}}"""],
        ["POST /collections/{collection_name}/points/scroll"] = ["""{"limit":5,"offset":1,"filter":{"should":[{"key":"n","range":{"gte":0,"lt":10}}]},"with_payload":["topic"],"with_vector":true}"""],
        ["POST /collections/{collection_name}/points/count"] = ["""{"filter":{"must_not":[{"is_empty":{"key":"topic"}}]},"exact":true}"""],
        ["POST /collections/{collection_name}/points/query"] =
        [
            """{"query":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"must":[{"key":"topic","match":{"any":["a","b"]}}]},"params":{"quantization":{"rescore":true,"oversampling":2.0}},"with_payload":true}""",
            """{"query":{"nearest":[1,0,0,0]},"limit":2,"offset":1,"score_threshold":0.1,"params":{"exact":true},"with_vector":true}""",
        ],
        ["POST /collections/{collection_name}/points/query/batch"] = ["""{"searches":[{"query":[0.2,0.1,0.9,0.7],"limit":3},{"query":[0.5,0.3,0.1,0.2],"limit":3,"params":{"exact":true}}]}"""],
        ["POST /collections/{collection_name}/points/search"] = ["""{"vector":[0.2,0.1,0.9,0.7],"limit":3,"params":{"exact":true},"with_payload":["topic"]}"""],
        ["POST /collections/{collection_name}/points/search/batch"] = ["""{"searches":[{"vector":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"must":[{"nested":{"key":"nested.k","filter":{"must":[{"key":"v","match":{"value":1}}]}}}]}}]}"""],
        ["PUT /collections/{collection_name}/index"] = ["""{"field_name":"topic","field_schema":"keyword"}""", """{"field_name":"n","field_schema":{"type":"integer"}}"""],
        ["PUT /collections/{collection_name}"] = ["""{"vectors":{"size":4,"distance":"Cosine"},"quantization_config":{"scalar":{"type":"int8"}}}"""],
        ["POST /v1/collections/{collection}/documents"] = ["""{"documents":[{"source":"guide/install.md","format":"markdown","text":"# Install\n\nRun it."}]}"""],
        ["POST /v1/collections/{collection}/search"] =
        [
            """{"query":"how do I install it?","k":3,"mode":"vector","quality":"exact","filter":{"must":[{"key":"source","match":{"value":"a"}}]}}""",
            """{"query":"install","k":2,"mode":"lexical","quality":0.9}""",
        ],
        ["POST /v1/collections/{collection}/ask"] =
        [
            """{"question":"how do I install it?","limit":3,"mode":"hybrid","quality":"exact","filter":{"must":[{"key":"source","match":{"value":"a"}}]}}""",
            """{"question":"install","limit":2,"mode":"lexical","stream":true}""",
        ],
    };

    private static readonly string[] Valid = [.. ValidByRoute.Values.SelectMany(v => v), "{}"];

    /// <summary>A body and the content type it is sent with (null: none).</summary>
    /// <param name="route">The route, as <c>METHOD /pattern</c>: its own valid bodies are the base of half the bodies.</param>
    public (byte[] Body, string? ContentType) Next(string route)
    {
        string? contentType = random.Next(20) switch
        {
            0 => null,
            1 => "text/plain",
            2 => "application/x-www-form-urlencoded",
            3 => "application/json; charset=utf-16",
            4 => "multipart/form-data; boundary=z",
            5 => "application/json; charset=UTF-8",
            _ => "application/json",
        };
        string valid = ValidByRoute.TryGetValue(route, out var own) && random.Next(2) == 0 ? Pick(own) : Pick(Valid);
        byte[] body = random.Next(10) switch
        {
            0 => Encoding.UTF8.GetBytes(Value(depth: 0)?.ToJsonString() ?? "null"),
            1 => Broken(Encoding.UTF8.GetBytes(valid)),
            2 => Encoding.UTF8.GetBytes(Special(valid)),
            3 or 4 => Encoding.UTF8.GetBytes(valid),
            _ => Encoding.UTF8.GetBytes(Mutate(JsonNode.Parse(valid)!)?.ToJsonString() ?? "null"),
        };
        return (body, contentType);
    }

    /// <summary>Text that is not what <see cref="JsonNode"/> writes: huge numbers, NaN, deep nesting, huge arrays, duplicates.</summary>
    private string Special(string valid)
    {
        return random.Next(15) switch
        {
            12 => "{\"points\":[1],\"pad\":\"" + new string('x', random.Next(1 << 20, 3 << 20)) + "\"}",
            13 => "{\"filter\":{\"" + Pick(["must", "should", "must_not"]) + "\":[" + string.Join(",", Enumerable.Range(0, random.Next(500, 3000)).Select(i =>
                $"{{\"key\":\"{Pick(["n", "topic", "tags[]", "nested[].k"])}\",\"match\":{{\"any\":[{i},{i + 1}]}}}}")) + "]},\"limit\":3,\"query\":[1,2,3,4],\"vector\":[1,2,3,4]}",
            14 => "{\"filter\":" + string.Concat(Enumerable.Repeat("{\"must\":[{\"nested\":{\"key\":\"nested.k\",\"filter\":", random.Next(1, 40))) + "{}" +
                string.Concat(Enumerable.Repeat("}}]}", random.Next(0, 40))) + ",\"limit\":3,\"query\":[1,2,3,4],\"vector\":[1,2,3,4]}",
            0 => new string('[', random.Next(100, 5000)) + new string(']', random.Next(0, 5000)),
            1 => string.Concat(Enumerable.Repeat("{\"must\":[", random.Next(20, 400))) + "{}",
            2 => "{\"points\":[" + string.Join(",", Enumerable.Range(0, random.Next(10_000, 60_000))) + "]}",
            3 => "{\"query\":[" + string.Join(",", Enumerable.Repeat("1e308", random.Next(1, 6000))) + "],\"limit\":3}",
            4 => valid.Replace("0.1", Pick(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-400", "18446744073709551616", "-0", "0x10", "01", ".5", "1.", "+1"]), StringComparison.Ordinal),
            5 => valid.Replace("3", Pick(["1e308", "-1", "2147483648", "9223372036854775808", "1.5", "1e2", "\"3\"", "null", "true", "[]", "{}"]), StringComparison.Ordinal),
            6 => valid.Insert(1, "\"limit\":1,\"limit\":\"x\","),
            7 => valid.Replace("\"", "'", StringComparison.Ordinal),
            8 => valid + valid,
            9 => "\uFEFF" + valid,
            10 => valid.Replace("topic", "t\\u0000o\\ud800pic", StringComparison.Ordinal),
            _ => "{\"searches\":[" + string.Join(",", Enumerable.Repeat("{\"query\":[1,2,3,4],\"limit\":10000,\"with_vector\":true}", random.Next(1, 300))) + "]}",
        };
    }

    /// <summary>The bytes of a valid body, broken: truncated, invalid UTF-8 spliced in, bytes flipped or random.</summary>
    private byte[] Broken(byte[] bytes)
    {
        switch (random.Next(5))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                byte[][] invalid = [[0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x00]];
                int at = random.Next(bytes.Length);
                return [.. bytes[..at], .. Pick(invalid), .. bytes[at..]];
            case 2:
                var flipped = (byte[])bytes.Clone();
                for (int i = random.Next(1, 4); i > 0; i--) flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                return flipped;
            case 3:
                var noise = new byte[random.Next(1, 300)];
                random.NextBytes(noise);
                return noise;
            default:
                return [];
        }
    }

    /// <summary>A valid body with one to three changes.</summary>
    private JsonNode? Mutate(JsonNode? root)
    {
        for (int changes = random.Next(1, 4); changes > 0 && root is not null; changes--)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = Pick(nodes);
            switch (random.Next(6))
            {
                case 0 when target.Parent is JsonObject parent:
                    parent.Remove(target.GetPropertyName());
                    break;
                case 1 when target.Parent is JsonArray array:
                    array.Remove(target);
                    break;
                case 2 when target is JsonObject obj:
                    obj[Pick(Fields)] = Value(depth: 1);
                    break;
                case 3 when target is JsonArray array:
                    for (int i = random.Next(1, random.Next(2) == 0 ? 5 : 3000); i > 0; i--) array.Add(Value(depth: 3));
                    break;
                default:
                    if (target.Parent is JsonObject o) o[target.GetPropertyName()] = Value(depth: 1);
                    else if (target.Parent is JsonArray a) a[a.IndexOf(target)] = Value(depth: 1);
                    else root = Value(depth: 0);
                    break;
            }
        }
        return root;
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject obj) foreach (var (_, child) in obj.ToList()) { if (child is not null) Collect(child, nodes); }
        else if (node is JsonArray array) foreach (var child in array.ToList()) { if (child is not null) Collect(child, nodes); }
    }

    /// <summary>A random JSON value: objects of known field names, arrays, wrong-typed and extreme scalars.</summary>
    private JsonNode? Value(int depth)
    {
        int kind = random.Next(depth > 6 ? 8 : 11);
        return kind switch
        {
            0 => JsonValue.Create(random.Next(2) == 0),
            1 => JsonValue.Create(Pick(new long[] { 0, 1, -1, 3, 4, 10_000, 100_001, int.MaxValue, long.MaxValue, long.MinValue })),
            2 => JsonValue.Create(Pick(new double[] { 0.5, -0.5, 1e308, -1e308, 5e-324, 1e-30, 2.0, 3.4e38, 3.5e38 })),
            3 => JsonValue.Create(ulong.MaxValue),
            4 => JsonValue.Create(Pick(["", "a", "c", "keyword", "integer", "text", "exact", "vector", "hybrid", "Cosine", "Dot", "Euclid", "Manhattan",
                "6f1a0b3e-1111-4c4d-9e9e-123456789abc", "not-a-uuid", "topic", "n", "source", "..", "a[]", "a.b[].c", "\u0000", "日本語", new string('x', 5000)]))!,
            5 => JsonValue.Create(random.NextDouble().ToString(CultureInfo.InvariantCulture)),
            6 => null,
            7 => new JsonArray([.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => (JsonNode?)JsonValue.Create(random.NextDouble() * 4 - 2))]),
            8 or 9 => Object(depth),
            _ => new JsonArray([.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => (JsonNode?)Value(depth + 1))]),
        };
    }

    private JsonObject Object(int depth)
    {
        var obj = new JsonObject();
        for (int i = random.Next(0, 4); i > 0; i--) obj[Pick(Fields)] = Value(depth + 1);
        return obj;
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
