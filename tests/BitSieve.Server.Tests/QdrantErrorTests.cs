using System.Net;
using System.Text;

namespace BitSieve.Server.Tests;

/// <summary>Every refused request answers with Qdrant's error shape, the right status, and a message that says what is wrong.</summary>
public sealed class QdrantErrorTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private ServerHost Host => shared.Host;

    [Theory]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4]")]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4],}")]
    [InlineData("/collections/c/points/scroll", "not json")]
    [InlineData("/collections/c/points/count", "{'filter':null}")]
    [InlineData("/collections/c/points/search", "[1,2,3]]")]
    public async Task Malformed_json_is_a_400_format_error(string path, string body)
    {
        var response = await Host.PostAsync(path, body);
        response.AssertError(HttpStatusCode.BadRequest, "Format error in JSON body:");
        Assert.Contains("line 1 column", response.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    public async Task Invalid_utf8_inside_a_string_is_a_400_format_error(byte[] invalid)
    {
        // Found by HttpFuzzTests: the parser leaves strings' bytes unchecked until they are read (a 500 then).
        byte[] body = [.. "{\"ids\":[1,\"6f1a0b3e-1111-4c4d-9e9e-123456789a"u8, .. invalid, .. "bc\"]}"u8];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/collections/c/points") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await Host.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains("Format error in JSON body: the body is not valid UTF-8 (byte 46)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"filter":{"must":[{"key":"t\ud800x","match":{"value":"a"}}]}}""", "`filter.must[0].key`")]
    [InlineData("""{"filter":{"must":[{"key":"topic","match":{"value":"\uDC00"}}]}}""", "`filter.must[0].match.value`")]
    [InlineData("""{"points":[1],"\ud83d":1}""", "the body")]
    public async Task An_unpaired_surrogate_escape_is_a_400_naming_where_it_is(string body, string where)
    {
        // Found by HttpFuzzTests: reading such a string throws wherever a handler reads it (a 500 then).
        (await Host.PostAsync("/collections/c/points/delete", body)).AssertError(HttpStatusCode.BadRequest, $"Format error in JSON body: {where}: a string holds an unpaired UTF-16 surrogate escape");
        Assert.Equal(3, (await Host.PostAsync("/collections/c/points/count", "{}")).Result.GetProperty("count").GetInt32());
        (await Host.PostAsync("/collections/c/points/count", """{"filter":{"must":[{"key":"topic","match":{"value":"\ud83d\ude00"}}]}}""")).AssertOk();
    }

    [Theory]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4],\"limit\":\"ten\"}", "`limit`: expected an unsigned integer, got the string \"ten\"")]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4],\"limit\":-1}", "`limit`: expected an unsigned integer, got the number -1")]
    [InlineData("/collections/c/points/query", "{\"query\":[1,\"2\",3,4]}", "`query[1]`: expected a number, got the string \"2\"")]
    [InlineData("/collections/c/points/query", "{\"query\":\"hello\"}", "a point id as `query` is not supported")]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4],\"with_payload\":7}", "`with_payload`: expected a boolean")]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4],\"params\":{\"exact\":\"yes\"}}", "`params.exact`: expected a boolean")]
    [InlineData("/collections/c/points/query", "{\"query\":[1,2,3,4],\"filter\":{\"must\":[{\"key\":\"topic\",\"match\":{\"valeu\":\"a\"}}]}}", "`filter.must[0].match.valeu`: Unknown match kind 'valeu'")]
    [InlineData("/collections/c/points/query", "[]", "the body: expected an object, got an array")]
    [InlineData("/collections/c/points/search", "{\"vector\":[1,2,3,4]}", "missing field `limit`")]
    [InlineData("/collections/c/points/scroll", "{\"offset\":\"not-a-uuid\"}", "`offset`: a point id must be an unsigned integer or a UUID")]
    [InlineData("/collections/c/points", "{\"ids\":[1,-2]}", "`ids[1]`: a point id must be an unsigned integer or a UUID, got the number -2")]
    [InlineData("/collections/c/points/delete", "{}", "either a list of point ids (`points`) or a `filter` must be provided")]
    [InlineData("/collections/c/points/payload", "{\"points\":[1]}", "missing field `payload`")]
    [InlineData("/collections/c/points/payload/delete", "{\"keys\":[1],\"points\":[1]}", "`keys[0]`: expected a string")]
    [InlineData("/collections/c/points/query/batch", "{\"searches\":{}}", "`searches`: expected an array")]
    public async Task Wrong_types_and_missing_fields_are_400s_that_name_the_field(string path, string body, string message)
    {
        var response = await Host.PostAsync(path, body);
        response.AssertError(HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task Upsert_with_a_wrong_type_or_a_missing_vector_is_a_400()
    {
        (await Host.PutAsync("/collections/c/points", """{"points":[{"id":9,"vector":[1,2,3,"x"]}]}""")).AssertError(HttpStatusCode.BadRequest, "`points[0].vector[3]`: expected a number");
        (await Host.PutAsync("/collections/c/points", """{"points":[{"id":9}]}""")).AssertError(HttpStatusCode.BadRequest, "missing field `points[0].vector`");
        (await Host.PutAsync("/collections/c/points", """{"points":[{"id":9,"vector":[1,2,3,4],"payload":[1]}]}""")).AssertError(HttpStatusCode.BadRequest, "`points[0].payload`: expected an object");
        (await Host.PutAsync("/collections/c/points", """{"batch":{"ids":[9,10],"vectors":[[1,2,3,4]]}}""")).AssertError(HttpStatusCode.BadRequest, "Wrong input: the batch has 2 ids but 1 vectors");
        (await Host.PutAsync("/collections/c/points", """{"nothing":1}""")).AssertError(HttpStatusCode.BadRequest, "expected `points`");
        (await Host.PutAsync("/collections/c/points", "")).AssertError(HttpStatusCode.BadRequest, "the request needs a JSON body");
        (await Host.PutAsync("/collections/c/points", """{"points":[{"id":9,"vector":[0,0,0,0]}]}""")).AssertError(HttpStatusCode.BadRequest, "Wrong input:");
        (await Host.PutAsync("/collections/c/points", """{"points":[{"id":9,"vector":[1e39,0,0,0]}]}""")).AssertError(HttpStatusCode.BadRequest, "does not fit a 32-bit float");
        Assert.Equal(3, (await Host.PostAsync("/collections/c/points/count", "{}")).Result.GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[{\"id\":9,\"vector\":[1,2,3]}]}", 4, 3)]
    [InlineData("PUT", "/collections/c/points", "{\"batch\":{\"ids\":[9],\"vectors\":[[1,2,3,4,5]]}}", 4, 5)]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":[1,2]}", 4, 2)]
    [InlineData("POST", "/collections/c/points/search", "{\"vector\":[1,2,3,4,5,6],\"limit\":3}", 4, 6)]
    [InlineData("POST", "/collections/c/points/query/batch", "{\"searches\":[{\"query\":[1,2,3,4]},{\"query\":[1]}]}", 4, 1)]
    public async Task Wrong_dimension_is_Qdrants_400(string method, string path, string body, int expected, int got)
    {
        var response = await Host.SendAsync(new HttpMethod(method), path, body);
        response.AssertError(HttpStatusCode.BadRequest, $"Wrong input: Vector dimension error: expected dim: {expected}, got {got}");
    }

    [Theory]
    [InlineData("GET", "/collections/nope", null)]
    [InlineData("PUT", "/collections/nope/points", "{\"points\":[]}")]
    [InlineData("POST", "/collections/nope/points", "{\"ids\":[1]}")]
    [InlineData("GET", "/collections/nope/points/1", null)]
    [InlineData("POST", "/collections/nope/points/delete", "{\"points\":[1]}")]
    [InlineData("POST", "/collections/nope/points/payload", "{\"payload\":{},\"points\":[1]}")]
    [InlineData("PUT", "/collections/nope/points/payload", "{\"payload\":{},\"points\":[1]}")]
    [InlineData("POST", "/collections/nope/points/payload/delete", "{\"keys\":[],\"points\":[1]}")]
    [InlineData("POST", "/collections/nope/points/payload/clear", "{\"points\":[1]}")]
    [InlineData("POST", "/collections/nope/points/scroll", "{}")]
    [InlineData("POST", "/collections/nope/points/count", "{}")]
    [InlineData("POST", "/collections/nope/points/query", "{\"query\":[1,2,3,4]}")]
    [InlineData("POST", "/collections/nope/points/query/batch", "{\"searches\":[]}")]
    [InlineData("POST", "/collections/nope/points/search", "{\"vector\":[1,2,3,4],\"limit\":1}")]
    [InlineData("POST", "/collections/nope/points/search/batch", "{\"searches\":[]}")]
    [InlineData("PUT", "/collections/nope/index", "{\"field_name\":\"a\",\"field_schema\":\"keyword\"}")]
    [InlineData("DELETE", "/collections/nope/index/a", null)]
    [InlineData("POST", "/collections/nope/points/query", "this is not even json")]
    public async Task Unknown_collection_is_a_404_in_Qdrants_words(string method, string path, string? body)
    {
        var response = await Host.SendAsync(new HttpMethod(method), path, body);
        response.AssertError(HttpStatusCode.NotFound, "Not found: Collection `nope` doesn't exist!");
    }

    [Fact]
    public async Task Unknown_point_and_unknown_path_are_404s()
    {
        (await Host.GetAsync("/collections/c/points/77")).AssertError(HttpStatusCode.NotFound, "Not found: No point with id 77 found");
        (await Host.PostAsync("/collections/c/points/payload", """{"payload":{"x":1},"points":[1,77]}""")).AssertError(HttpStatusCode.NotFound, "Not found: No point with id 77 found");
        (await Host.GetAsync("/no/such/path")).AssertError(HttpStatusCode.NotFound, "GET /no/such/path is not an endpoint");
    }

    [Fact]
    public async Task Creating_an_existing_or_badly_named_collection_fails_as_in_Qdrant()
    {
        (await Host.PutAsync("/collections/c", """{"vectors":{"size":4,"distance":"Cosine"}}""")).AssertError(HttpStatusCode.BadRequest, "Wrong input: Collection `c` already exists!");
        (await Host.PutAsync("/collections/.hidden", """{"vectors":{"size":4,"distance":"Cosine"}}""")).AssertError(HttpStatusCode.UnprocessableEntity, "Validation error in path parameters: [collection_name:");
        (await Host.PutAsync("/collections/x1", """{"vectors":{"size":1,"distance":"Cosine"}}""")).AssertError(HttpStatusCode.UnprocessableEntity, "Validation error in JSON body: [vectors.size: value 1 invalid, must be from 2 to 4096]");
        (await Host.PutAsync("/collections/x1", """{"vectors":{"size":5000,"distance":"Cosine"}}""")).AssertError(HttpStatusCode.UnprocessableEntity, "vectors.size: value 5000 invalid");
        (await Host.PutAsync("/collections/x1", """{"vectors":{"size":4,"distance":"Hamming"}}""")).AssertError(HttpStatusCode.BadRequest, "unknown variant `Hamming`");
        (await Host.PutAsync("/collections/x1", """{"vectors":{"size":4}}""")).AssertError(HttpStatusCode.BadRequest, "missing field `vectors.distance`");
        (await Host.PutAsync("/collections/x1", "{}")).AssertError(HttpStatusCode.BadRequest, "`vectors` is required");
        Assert.False((await Host.GetAsync("/collections/x1/exists")).Result.GetProperty("exists").GetBoolean());
    }

    [Theory]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"text\":{\"size\":4,\"distance\":\"Cosine\"}}}", "named vectors (`text`) is not supported by BitSieve")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Cosine\"},\"sparse_vectors\":{\"bm25\":{}}}", "sparse vectors (`sparse_vectors`) is not supported")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Manhattan\"}}", "the Manhattan distance is not supported")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Dot\",\"datatype\":\"float16\"}}", "datatype `float16` is not supported")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Dot\",\"multivector_config\":{\"comparator\":\"max_sim\"}}}", "multivectors")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Dot\"},\"quantization_config\":{\"product\":{\"compression\":\"x16\"}}}", "product quantization is not supported")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Dot\"},\"sharding_method\":\"custom\"}", "sharding method `custom` is not supported")]
    [InlineData("PUT", "/collections/u1", "{\"vectors\":{\"size\":4,\"distance\":\"Dot\"},\"metadata\":{\"owner\":\"me\"}}", "collection `metadata` is not supported")]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[{\"id\":9,\"vector\":{\"text\":[1,2,3,4]}}]}", "a named vector at `points[0].vector` is not supported")]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[{\"id\":9,\"vector\":{\"indices\":[1],\"values\":[0.5]}}]}", "a sparse vector at `points[0].vector` is not supported")]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[{\"id\":9,\"vector\":{\"text\":\"hello\",\"model\":\"m\"}}]}", "an inference object at `points[0].vector` is not supported")]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[{\"id\":9,\"vector\":[[1,2,3,4]]}]}", "a multivector")]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[],\"update_mode\":\"insert_only\"}", "`update_mode` `insert_only` is not supported")]
    [InlineData("PUT", "/collections/c/points", "{\"points\":[],\"shard_key\":\"eu\"}", "`shard_key` is not supported")]
    [InlineData("POST", "/collections/c/points/query", "{\"prefetch\":[{\"query\":[1,2,3,4]}],\"query\":{\"fusion\":\"rrf\"}}", "`prefetch` (multi-stage and hybrid queries) is not supported")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":{\"recommend\":{\"positive\":[1]}}}", "the `recommend` query is not supported")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":{\"order_by\":\"n\"}}", "the `order_by` query is not supported")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":[1,2,3,4],\"using\":\"image\"}", "the named vector `image` in `using` is not supported")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":{\"nearest\":[1,2,3,4],\"mmr\":{\"diversity\":0.5}}}", "MMR re-ranking")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":7}", "a point id as `query` is not supported")]
    [InlineData("POST", "/collections/c/points/query", "{\"limit\":3}", "`query` is required")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":[1,2,3,4],\"filter\":{\"must\":[{\"key\":\"loc\",\"geo_radius\":{\"center\":{\"lon\":0,\"lat\":0},\"radius\":1}}]}}", "BitSieve does not implement this part of Qdrant's filter language")]
    [InlineData("POST", "/collections/c/points/query", "{\"query\":[1,2,3,4],\"with_vector\":[\"image\"]}", "named vectors in `with_vector` is not supported")]
    [InlineData("POST", "/collections/c/points/search", "{\"vector\":{\"name\":\"image\",\"vector\":[1,2,3,4]},\"limit\":3}", "the named vector `image` in `vector` is not supported")]
    [InlineData("POST", "/collections/c/points/scroll", "{\"order_by\":\"n\"}", "`order_by` (scrolling in payload order) is not supported")]
    [InlineData("POST", "/collections/c/points/payload", "{\"payload\":{\"a\":1},\"points\":[1],\"key\":\"nested.path\"}", "`key` (setting a payload under a nested path) is not supported")]
    [InlineData("PUT", "/collections/c/index", "{\"field_name\":\"loc\",\"field_schema\":\"geo\"}", "payload index type `geo` is not supported")]
    [InlineData("PUT", "/collections/c/index", "{\"field_name\":\"body\",\"field_schema\":{\"type\":\"text\",\"tokenizer\":\"word\"}}", "payload index type `text` is not supported")]
    [InlineData("POST", "/collections/c/points/recommend", "{\"positive\":[1],\"limit\":3}", "the recommend API is not supported")]
    [InlineData("POST", "/collections/c/points/batch", "{\"operations\":[]}", "batch update operations is not supported")]
    [InlineData("PATCH", "/collections/c", "{\"optimizers_config\":{}}", "updating collection parameters is not supported")]
    [InlineData("POST", "/collections/c/snapshots", null, "snapshots is not supported")]
    public async Task Unsupported_features_are_400s_that_say_so(string method, string path, string? body, string message)
    {
        var response = await Host.SendAsync(new HttpMethod(method), path, body);
        response.AssertError(HttpStatusCode.BadRequest, message);
        Assert.Contains("Bad request:", response.Error, StringComparison.Ordinal);
        Assert.False((await Host.GetAsync("/collections/u1/exists")).Result.GetProperty("exists").GetBoolean());
    }

    [Fact]
    public async Task Limits_are_enforced_with_clear_messages()
    {
        // This fixture's server: MaxLimit 100, MaxPointsPerRequest 50, MaxBatchSearches 4, body limit 64 KiB.
        (await Host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"limit":101}""")).AssertError(HttpStatusCode.BadRequest, "= 101 is larger than this server's maximum of 100 results per search");
        (await Host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"limit":60,"offset":60}""")).AssertError(HttpStatusCode.BadRequest, "= 120 is larger than this server's maximum");
        (await Host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"limit":0}""")).AssertError(HttpStatusCode.UnprocessableEntity, "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]");
        (await Host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"limit":99999999999}""")).AssertError(HttpStatusCode.UnprocessableEntity, "limit: value 99999999999 is too large");
        (await Host.PostAsync("/collections/c/points/query", """{"query":[1,2,3,4],"params":{"quantization":{"oversampling":0.5}}}""")).AssertError(HttpStatusCode.UnprocessableEntity, "oversampling: value 0.5 invalid");
        (await Host.PostAsync("/collections/c/points/scroll", """{"limit":500}""")).AssertError(HttpStatusCode.BadRequest, "`limit` 500 is larger than this server's maximum page of 100");
        string searches = string.Join(",", Enumerable.Repeat("""{"query":[1,2,3,4]}""", 5));
        (await Host.PostAsync("/collections/c/points/query/batch", $$"""{"searches":[{{searches}}]}""")).AssertError(HttpStatusCode.BadRequest, "`searches` holds 5 searches; this server accepts at most 4 per batch");
        string points = string.Join(",", Enumerable.Range(100, 51).Select(i => $$"""{"id":{{i}},"vector":[1,2,3,4]}"""));
        (await Host.PutAsync("/collections/c/points", $$"""{"points":[{{points}}]}""")).AssertError(HttpStatusCode.BadRequest, "`points` holds 51 points; this server accepts at most 50 per request");
        string ids = string.Join(",", Enumerable.Range(100, 51));
        (await Host.PutAsync("/collections/c/points", $$$"""{"batch":{"ids":[{{{ids}}}],"vectors":[]}}""")).AssertError(HttpStatusCode.BadRequest, "`batch.ids` holds 51 points");
        (await Host.PostAsync("/collections/c/points", $$"""{"ids":[{{ids}}]}""")).AssertError(HttpStatusCode.BadRequest, "`ids` lists 51 ids; this server accepts at most 50");
        Assert.Equal(3, (await Host.PostAsync("/collections/c/points/count", "{}")).Result.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413()
    {
        // 64 KiB limit on this fixture; 200 KiB of JSON, sent with a Content-Length.
        var big = new StringBuilder("""{"points":[""");
        for (int i = 0; big.Length < 200 << 10; i++) big.Append(i == 0 ? "" : ",").Append($$$"""{"id":{{{1000 + i}}},"vector":[0.1,0.2,0.3,0.4],"payload":{"text":"padding padding padding"}}""");
        big.Append("]}");
        var response = await Host.PutAsync("/collections/c/points", big.ToString());
        response.AssertError(HttpStatusCode.RequestEntityTooLarge, "Payload too large: the request body is larger than this server's limit of 65536 bytes");
        Assert.Equal(3, (await Host.PostAsync("/collections/c/points/count", "{}")).Result.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/collections/c/points/query");
        var bytes = Encoding.UTF8.GetBytes("{\"query\":[1,2,3,4],\"pad\":\"" + new string('x', 100 << 10) + "\"}");
        request.Content = new StreamContent(new MemoryStream(bytes));   // no Content-Length: Transfer-Encoding: chunked
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        using var response = await Host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Payload too large", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
