using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>
/// <c>POST /v1/collections/{name}/ask</c>: the extractive answer without <c>--llm</c>; with it, a chat model's answer
/// (a small OpenAI-compatible server of the test's own), as JSON and as server-sent events; the endpoint's failures.
/// </summary>
public sealed class V1AskTests : IAsyncLifetime
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "bitsieve-ask-cache-" + Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned) await owned.DisposeAsync();
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private const string Documents = """
        {"documents":[
          {"source":"guide/install.md","format":"markdown","text":"# Install\n\nInstall the tool with dotnet tool install. It needs the .NET 10 runtime."},
          {"source":"guide/tls.md","format":"markdown","text":"# TLS\n\nThe server speaks plain HTTP. Certificates are verified by the proxy in front of it."}
        ]}
        """;

    private async Task<ServerHost> Start(ServerOptions options)
    {
        var host = await ServerHost.StartAsync(options with { EmbeddingCacheDirectory = _cache });
        _owned.Add(host);
        var added = await host.PostAsync("/v1/collections/kb/documents", Documents);
        Assert.True(added.Status == HttpStatusCode.OK, added.Text);
        return host;
    }

    private async Task<FakeChatServer> Chat(params string[] pieces)
    {
        var chat = FakeChatServer.Start(pieces);
        _owned.Add(chat);
        return chat;
    }

    [Fact]
    public async Task Without_llm_the_answer_is_the_sentence_that_matches_with_its_citation()
    {
        var host = await Start(new ServerOptions());
        var ask = await host.PostAsync("/v1/collections/kb/ask", """{"question":"Who verifies the certificates?","limit":2}""");
        Assert.True(ask.Status == HttpStatusCode.OK, ask.Text);
        var answer = ask.Body.GetProperty("answer");
        Assert.Equal("extractive", answer.GetProperty("kind").GetString());
        var sentence = answer.GetProperty("sentences")[0];
        Assert.Equal("Certificates are verified by the proxy in front of it.", sentence.GetProperty("text").GetString());
        Assert.StartsWith("**Certificates** are **verified** by the proxy in front of it. [", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("[[0,12],[17,25]]", sentence.GetProperty("matches").GetRawText());
        int passage = sentence.GetProperty("passage").GetInt32();
        Assert.Equal("guide/tls.md", ask.Body.GetProperty("passages")[passage - 1].GetProperty("source").GetString());
        Assert.Equal("guide/tls.md", answer.GetProperty("citations")[0].GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("cited_by_reply").ValueKind);
        Assert.Equal(2, ask.Body.GetProperty("passages").GetArrayLength());
    }

    [Fact]
    public async Task Without_llm_a_stream_asked_for_by_accept_sends_passages_one_delta_and_the_answer()
    {
        var host = await Start(new ServerOptions());
        var (status, type, events) = await StreamAsync(host, """{"question":"Which runtime does the tool need?"}""", acceptEventStream: true);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/event-stream", type);
        Assert.Equal(["passages", "delta", "answer"], events.Select(e => e.Name));
        Assert.Equal("guide/install.md", events[0].Data.GetProperty("passages")[0].GetProperty("source").GetString());
        Assert.Contains("**runtime**", events[1].Data.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("It needs the .NET 10 runtime.", events[2].Data.GetProperty("sentences")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task With_llm_the_model_gets_the_numbered_passages_and_the_answer_ends_with_its_citations()
    {
        var chat = await Chat("The proxy verifies them ", "[2].");
        var host = await Start(new ServerOptions { LlmEndpoint = chat.Url, LlmModel = chat.Model, LlmApiKey = "llm-key" });
        var ask = await host.PostAsync("/v1/collections/kb/ask", """{"question":"Who verifies the certificates?","limit":2,"mode":"lexical"}""");
        Assert.True(ask.Status == HttpStatusCode.OK, ask.Text);
        var answer = ask.Body.GetProperty("answer");
        Assert.Equal("generated", answer.GetProperty("kind").GetString());
        Assert.Equal("The proxy verifies them [2].", answer.GetProperty("text").GetString());
        Assert.Equal(chat.Model, answer.GetProperty("chat_model").GetString());
        Assert.True(answer.GetProperty("cited_by_reply").GetBoolean());
        var citation = Assert.Single(answer.GetProperty("citations").EnumerateArray());
        Assert.Equal(2, citation.GetProperty("number").GetInt32());
        string cited = citation.GetProperty("source").GetString()!;
        Assert.Equal(cited, ask.Body.GetProperty("passages")[1].GetProperty("source").GetString());

        var request = Assert.Single(chat.Requests);
        Assert.Equal(chat.Model, request.GetProperty("model").GetString());
        string user = request.GetProperty("messages")[1].GetProperty("content").GetString()!;
        Assert.Contains($"[2] {cited} § ", user, StringComparison.Ordinal);
        Assert.Contains("\n[1] ", user, StringComparison.Ordinal);
        Assert.EndsWith("Question: Who verifies the certificates?", user, StringComparison.Ordinal);
        Assert.Equal("Bearer llm-key", chat.LastAuthorization);
    }

    [Fact]
    public async Task With_llm_and_stream_the_reply_arrives_as_delta_events_then_the_answer()
    {
        var chat = await Chat("Install it ", "with dotnet tool install ", "[1].");
        var host = await Start(new ServerOptions { LlmEndpoint = chat.Url });
        var (status, type, events) = await StreamAsync(host, """{"question":"How do I install the tool?","stream":true,"limit":1}""", acceptEventStream: false);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/event-stream", type);
        Assert.Equal(["passages", "delta", "delta", "delta", "answer"], events.Select(e => e.Name));
        Assert.Equal(["Install it ", "with dotnet tool install ", "[1]."], events.Where(e => e.Name == "delta").Select(e => e.Data.GetProperty("text").GetString()));
        var answer = events[^1].Data;
        Assert.Equal("Install it with dotnet tool install [1].", answer.GetProperty("text").GetString());
        // No model was named: the first the endpoint lists is used, and named in the answer.
        Assert.Equal(chat.Model, answer.GetProperty("chat_model").GetString());
        Assert.Equal("guide/install.md", answer.GetProperty("citations")[0].GetProperty("source").GetString());
        Assert.True(Assert.Single(chat.Requests).GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task An_unreachable_endpoint_or_a_missing_model_is_a_502_naming_it_and_bad_questions_are_400()
    {
        var url = FakeChatServer.UnreachableUrl();
        var host = await Start(new ServerOptions { LlmEndpoint = url, LlmModel = "m" });
        var ask = await host.PostAsync("/v1/collections/kb/ask", """{"question":"anything?","stream":true}""");
        Assert.Equal(HttpStatusCode.BadGateway, ask.Status);
        Assert.StartsWith($"Bad gateway: could not reach the chat endpoint at {url}/", ask.Error, StringComparison.Ordinal);

        var chat = await Chat("x");
        var missing = await Start(new ServerOptions { LlmEndpoint = chat.Url, LlmModel = "llama9" });
        ask = await missing.PostAsync("/v1/collections/kb/ask", """{"question":"anything?"}""");
        Assert.Equal(HttpStatusCode.BadGateway, ask.Status);
        Assert.Contains("answered HTTP 404: model \"llama9\" not found", ask.Error, StringComparison.Ordinal);

        (await missing.PostAsync("/v1/collections/kb/ask", """{"limit":2}""")).AssertError(HttpStatusCode.BadRequest, "missing field `question`");
        (await missing.PostAsync("/v1/collections/kb/ask", """{"question":"q","limit":51}""")).AssertError(HttpStatusCode.BadRequest, "`limit` 51 is larger than the maximum of 50");
        (await missing.PostAsync("/v1/collections/kb/ask", """{"question":"q","stream":"yes"}""")).AssertError(HttpStatusCode.BadRequest, "`stream`");
        (await missing.PostAsync("/v1/collections/nope/ask", """{"question":"q"}""")).AssertError(HttpStatusCode.NotFound, "nope");
    }

    /// <summary>Posts an ask and reads its server-sent events: <c>event: NAME</c>, <c>data: JSON</c>, blank line.</summary>
    private static async Task<(HttpStatusCode Status, string? Type, List<(string Name, JsonElement Data)> Events)> StreamAsync(ServerHost host, string body, bool acceptEventStream)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/collections/kb/ask") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (acceptEventStream) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        string text = await response.Content.ReadAsStringAsync();
        var events = new List<(string, JsonElement)>();
        foreach (string block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            events.Add((lines[0]["event: ".Length..], JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone()));
        }
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, events);
    }
}
