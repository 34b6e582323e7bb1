using System.Net;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>The /v1 text API with the built-in MiniLM model: add documents as text, ask questions in words.</summary>
public sealed class V1ApiTests : IAsyncLifetime
{
    private ServerHost _host = null!;
    private string _cache = null!;

    public async Task InitializeAsync()
    {
        _cache = Path.Combine(Path.GetTempPath(), "bitsieve-v1-cache-" + Guid.NewGuid().ToString("N"));
        _host = await ServerHost.StartAsync(new ServerOptions { EmbeddingCacheDirectory = _cache });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private static string Documents(params (string Source, string Format, string Text)[] documents) =>
        JsonSerializer.Serialize(new { documents = documents.Select(d => new { source = d.Source, format = d.Format, text = d.Text }) });

    private const string Install = """
        # Installing BitSieve

        Install the command-line tool with `dotnet tool install --global bitsieve`. It needs the .NET 10 runtime.

        ## Upgrading

        Run `dotnet tool update --global bitsieve` to move to the newest release.
        """;

    private const string Quantization = """
        # How quantization works

        Every vector is stored at several precisions: one bit per dimension, a few more bits, and the float32 original.
        A query spends precision only where the ranking is still uncertain.
        """;

    private const string Cooking = "Boil the pasta in salted water for nine minutes, then drain it and add the tomato sauce.";

    [Fact]
    public async Task Documents_added_as_text_answer_questions_in_every_mode_with_sources_and_traces()
    {
        var added = await _host.PostAsync("/v1/collections/kb/documents",
            Documents(("guide/install.md", "markdown", Install), ("guide/quantization.md", "markdown", Quantization), ("notes/pasta.txt", "text", Cooking)));
        Assert.True(added.Status == HttpStatusCode.OK, added.Text);
        Assert.Equal("minilm", added.Body.GetProperty("model").GetString());
        int chunks = added.Body.GetProperty("chunks").GetInt32();
        Assert.True(chunks >= 3);

        foreach (string mode in new[] { "vector", "lexical", "hybrid" })
        {
            var answer = await _host.PostAsync("/v1/collections/kb/search", $$"""{"query":"how do I install the command-line tool?","k":2,"mode":"{{mode}}"}""");
            Assert.True(answer.Status == HttpStatusCode.OK, answer.Text);
            var top = answer.Body.GetProperty("results")[0];
            Assert.Equal("guide/install.md", top.GetProperty("source").GetString());
            Assert.Contains("dotnet tool install", top.GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Equal("Installing BitSieve", top.GetProperty("headings")[0].GetString());
            Assert.True(top.GetProperty("end").GetInt32() > top.GetProperty("start").GetInt32());
            Assert.Equal(mode, answer.Body.GetProperty("mode").GetString());
            Assert.True(answer.Body.GetProperty("trace").TryGetProperty("t1", out _));
        }
        var pasta = await _host.PostAsync("/v1/collections/kb/search", """{"query":"cooking spaghetti","k":1,"mode":"vector","quality":"exact"}""");
        Assert.Equal("notes/pasta.txt", pasta.Body.GetProperty("results")[0].GetProperty("source").GetString());
        var filtered = await _host.PostAsync("/v1/collections/kb/search",
            """{"query":"install","k":5,"filter":{"must":[{"key":"source","match":{"value":"notes/pasta.txt"}}]}}""");
        Assert.All(filtered.Body.GetProperty("results").EnumerateArray(), r => Assert.Equal("notes/pasta.txt", r.GetProperty("source").GetString()));

        // Re-adding a source replaces its chunks; deleting removes them.
        (await _host.PostAsync("/v1/collections/kb/documents", Documents(("notes/pasta.txt", "text", Cooking + " Serve hot.")))).Body.GetProperty("chunks").GetInt32();
        var list = await _host.GetAsync("/v1/collections/kb/documents");
        Assert.Equal(["guide/install.md", "guide/quantization.md", "notes/pasta.txt"], list.Body.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("source").GetString()));
        Assert.Equal(chunks, list.Body.GetProperty("documents").EnumerateArray().Sum(d => d.GetProperty("chunks").GetInt32()));
        var deleted = await _host.SendAsync(HttpMethod.Delete, "/v1/collections/kb/documents?source=notes/pasta.txt");
        Assert.Equal(1, deleted.Body.GetProperty("chunks_deleted").GetInt32());

        var collections = await _host.GetAsync("/v1/collections");
        var kb = collections.Body.GetProperty("collections").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "kb");
        Assert.Equal(384, kb.GetProperty("dimension").GetInt32());
        Assert.Equal(chunks - 1, kb.GetProperty("count").GetInt32());
        Assert.True(kb.GetProperty("text_index").GetBoolean());
        var info = await _host.GetAsync("/v1/collections/kb");
        Assert.Equal("minilm", info.Body.GetProperty("model").GetString());
        Assert.Equal(chunks - 1, info.Body.GetProperty("info").GetProperty("count").GetInt32());

        // The same collection through the Qdrant API: its chunks are ordinary points.
        var scroll = await _host.PostAsync("/collections/kb/points/scroll", """{"limit":100,"with_payload":["source"]}""");
        Assert.Equal(chunks - 1, scroll.Result.GetProperty("points").GetArrayLength());
        Assert.True((await _host.SendAsync(HttpMethod.Delete, "/v1/collections/kb")).Body.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task Replacing_a_source_is_one_log_record()
    {
        (await _host.PostAsync("/v1/collections/one/documents", Documents(("a.md", "markdown", Install), ("b.txt", "text", Cooking)))).Body.GetProperty("chunks").GetInt32();
        long before = (await _host.GetAsync("/v1/collections/one")).Body.GetProperty("info").GetProperty("log_sequence").GetInt64();
        var replaced = await _host.PostAsync("/v1/collections/one/documents", Documents(("a.md", "markdown", "# Short\n\nNow one line.")));
        Assert.True(replaced.Status == HttpStatusCode.OK, replaced.Text);
        var info = (await _host.GetAsync("/v1/collections/one")).Body.GetProperty("info");
        // One record deletes the old chunks and writes the new ones: a crash leaves one version or the other, whole.
        Assert.Equal(before + 1, info.GetProperty("log_sequence").GetInt64());
        var list = (await _host.GetAsync("/v1/collections/one/documents")).Body.GetProperty("documents");
        Assert.Equal(replaced.Body.GetProperty("chunks").GetInt32(), list.EnumerateArray().Single(d => d.GetProperty("source").GetString() == "a.md").GetProperty("chunks").GetInt32());
        Assert.Equal(1, list.EnumerateArray().Single(d => d.GetProperty("source").GetString() == "b.txt").GetProperty("chunks").GetInt32());
    }

    [Fact]
    public async Task A_collection_bound_to_other_model_files_is_a_409_naming_both_and_changes_nothing()
    {
        var added = await _host.PostAsync("/v1/collections/bound/documents", Documents(("a.md", "markdown", Install)));
        Assert.True(added.Status == HttpStatusCode.OK, added.Text);
        // As if the model the collection names had other bytes when it was indexed: same name, dimension and precision.
        var collection = _host.Server.Database.GetCollection("bound");
        collection.SetProperty("embedding_identity", """{"identity":"onnx:0000:lower:mean:256:l2","dimension":384,"query_prefix":"","document_prefix":""}""");
        long count = collection.Count;

        (await _host.PostAsync("/v1/collections/bound/documents", Documents(("b.md", "markdown", Quantization))))
            .AssertError(HttpStatusCode.Conflict, "collection 'bound' holds vectors of minilm (fp32, 384 dimensions, onnx:0000:lower:mean:256:l2), not of minilm (fp32, 384 dimensions, onnx:");
        (await _host.PostAsync("/v1/collections/bound/search", """{"query":"how do I install it?","mode":"hybrid"}""")).AssertError(HttpStatusCode.Conflict, "not of minilm");
        Assert.Equal(count, collection.Count);
        // Lexical search needs no model and still answers.
        Assert.Equal(HttpStatusCode.OK, (await _host.PostAsync("/v1/collections/bound/search", """{"query":"install","mode":"lexical"}""")).Status);
    }

    [Fact]
    public async Task Documents_for_a_collection_of_another_dimension_are_a_400_that_changes_nothing()
    {
        await _host.CreateCollectionAsync("four", 4);
        (await _host.PutAsync("/collections/four/points", """{"points":[{"id":1,"vector":[1,2,3,4],"payload":{"source":"a.md","text":"old"}}]}""")).AssertOk();
        var before = (await _host.GetAsync("/collections/four")).Text;
        var beforePoints = (await _host.PostAsync("/collections/four/points/scroll", """{"with_vector":true}""")).Result.GetRawText();

        var response = await _host.PostAsync("/v1/collections/four/documents", Documents(("a.md", "markdown", Install)));

        response.AssertError(HttpStatusCode.BadRequest, "collection `four` holds 4-dimensional vectors, but the model `minilm` makes 384-dimensional ones");
        Assert.Equal(beforePoints, (await _host.PostAsync("/collections/four/points/scroll", """{"with_vector":true}""")).Result.GetRawText());
        var after = await _host.GetAsync("/collections/four");
        Assert.Equal(Strip(before), Strip(after.Text));
        Assert.Equal(JsonValueKind.Null, (await _host.GetAsync("/v1/collections/four")).Body.GetProperty("model").ValueKind);
    }

    [Fact]
    public async Task A_document_without_text_refuses_the_whole_request_before_any_is_stored()
    {
        var response = await _host.PostAsync("/v1/collections/kb3/documents", Documents(("a.md", "markdown", Install), ("b.html", "html", "<html><body>  </body></html>")));
        response.AssertError(HttpStatusCode.BadRequest, "the document \"b.html\" has no text to index");
        Assert.False((await _host.GetAsync("/collections/kb3/exists")).Result.GetProperty("exists").GetBoolean());
    }

    /// <summary>A Qdrant answer without its <c>time</c>.</summary>
    private static string Strip(string json) => System.Text.RegularExpressions.Regex.Replace(json, "\"time\":[0-9.eE+-]+", "");

    [Theory]
    [InlineData("/v1/collections/kb2/documents", "{}", HttpStatusCode.BadRequest, "missing field `documents`")]
    [InlineData("/v1/collections/kb2/documents", "{\"documents\":[{\"source\":\"a\",\"text\":\"  \"}]}", HttpStatusCode.BadRequest, "`documents[0].text` is empty")]
    [InlineData("/v1/collections/kb2/documents", "{\"documents\":[{\"source\":\"a\",\"text\":\"x\",\"format\":\"docx\"}]}", HttpStatusCode.BadRequest, "unknown format `docx`")]
    [InlineData("/v1/collections/kb2/documents", "{\"documents\":[{\"source\":\"a\",\"text\":\"x\"},{\"source\":\"a\",\"text\":\"y\"}]}", HttpStatusCode.BadRequest, "the source \"a\" appears twice")]
    [InlineData("/v1/collections/nope/search", "{\"query\":\"x\"}", HttpStatusCode.NotFound, "Not found: Collection `nope` doesn't exist!")]
    public async Task Bad_requests_are_refused_with_clear_messages(string path, string body, HttpStatusCode status, string message)
    {
        (await _host.PostAsync(path, body)).AssertError(status, message);
        Assert.False((await _host.GetAsync("/collections/kb2/exists")).Result.GetProperty("exists").GetBoolean());
    }

    [Fact]
    public async Task Search_parameters_are_checked_and_a_collection_without_text_index_says_so()
    {
        await _host.CreateCollectionAsync("vectors", 384);
        (await _host.PostAsync("/v1/collections/vectors/search", """{"query":"x","mode":"lexical"}""")).AssertError(HttpStatusCode.BadRequest, "has no text index");
        (await _host.PostAsync("/v1/collections/vectors/search", """{"query":"x","mode":"fuzzy"}""")).AssertError(HttpStatusCode.BadRequest, "unknown mode `fuzzy`");
        (await _host.PostAsync("/v1/collections/vectors/search", """{"query":"x","quality":2}""")).AssertError(HttpStatusCode.BadRequest, "`quality`: expected \"exact\" or a recall target");
        (await _host.PostAsync("/v1/collections/vectors/search", """{"query":""}""")).AssertError(HttpStatusCode.BadRequest, "`query` is empty");
        (await _host.PostAsync("/v1/collections/vectors/search", """{"query":"x","k":0}""")).AssertError(HttpStatusCode.UnprocessableEntity, "k: value 0 invalid");
        var empty = await _host.PostAsync("/v1/collections/vectors/search", """{"query":"anything","mode":"vector"}""");
        Assert.Equal(0, empty.Body.GetProperty("results").GetArrayLength());
        (await _host.SendAsync(HttpMethod.Delete, "/v1/collections/vectors/documents")).AssertError(HttpStatusCode.BadRequest, "?source=");
    }
}
