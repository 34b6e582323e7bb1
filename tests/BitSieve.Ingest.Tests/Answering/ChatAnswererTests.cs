using BitSieve.Ingest.Answering;

namespace BitSieve.Ingest.Tests.Answering;

/// <summary>The chat answerer through <see cref="ChatEndpoint"/> against a small OpenAI-compatible server of the test's own.</summary>
public sealed class ChatAnswererTests
{
    private static readonly AnswerPassage[] Passages =
    [
        new("guide/install.md", ["Install"], "Run dotnet tool install -g bitsieve.", 0.9f),
        new("guide/tls.md", ["Security", "TLS"], "Put a TLS proxy in front of the server.", 0.5f),
    ];

    [Fact]
    public async Task The_request_carries_the_model_the_numbered_passages_and_the_question_and_the_reply_streams_piece_by_piece()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = FakeChatServer.Start(["Install it with ", "`dotnet tool install` ", "[1]."], holdAfterFirstPiece: hold);
        var endpoint = new ChatEndpoint(server.Url, "test-model", apiKey: "secret");
        var prompt = AnswerPrompt.Build("How do I install it?", Passages);
        var answerer = new ChatAnswerer(await endpoint.ConnectAsync());

        var pieces = new List<string>();
        var answer = await answerer.AnswerAsync(prompt, (text, _) =>
        {
            pieces.Add(text);
            // The server sends the rest only once the first piece has reached us: the reply is streamed, not buffered.
            hold.TrySetResult();
            return ValueTask.CompletedTask;
        });

        Assert.Equal(["Install it with ", "`dotnet tool install` ", "[1]."], pieces);
        Assert.Equal("Install it with `dotnet tool install` [1].", answer.Text);
        Assert.True(answer.Citations.CitedByReply);
        Assert.Equal(["[1] guide/install.md § Install"], answer.Citations.Citations.Select(c => c.ToString()));

        var request = Assert.Single(server.Requests);
        Assert.Equal("test-model", request.GetProperty("model").GetString());
        Assert.True(request.GetProperty("stream").GetBoolean());
        var messages = request.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal(AnswerPrompt.Instructions, messages[0].GetProperty("content").GetString());
        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        Assert.Equal(prompt.User, messages[1].GetProperty("content").GetString());
        Assert.Contains("[1] guide/install.md § Install\nRun dotnet tool install -g bitsieve.", prompt.User, StringComparison.Ordinal);
        Assert.Contains("[2] guide/tls.md § Security > TLS\nPut a TLS proxy", prompt.User, StringComparison.Ordinal);
        Assert.EndsWith("Question: How do I install it?", prompt.User, StringComparison.Ordinal);
        Assert.Equal("Bearer secret", server.LastAuthorization);
    }

    [Fact]
    public async Task Without_a_model_name_the_first_listed_model_is_used()
    {
        await using var server = FakeChatServer.Start(["No passage says."], model: "llama3.2");
        var answerer = new ChatAnswerer(await new ChatEndpoint(server.Url).ConnectAsync());
        var answer = await answerer.AnswerAsync(AnswerPrompt.Build("What is the moon made of?", Passages));
        Assert.Equal("llama3.2", Assert.Single(server.Requests).GetProperty("model").GetString());
        Assert.False(answer.Citations.CitedByReply);
        Assert.Equal([1, 2], answer.Citations.Citations.Select(c => c.Number));
    }

    [Fact]
    public async Task A_missing_model_is_one_clear_line_with_the_status()
    {
        await using var server = FakeChatServer.Start(["x"]);
        var answerer = new ChatAnswerer(await new ChatEndpoint(server.Url, "no-such-model").ConnectAsync());
        var e = await Assert.ThrowsAsync<AnswerServiceException>(() => answerer.AnswerAsync(AnswerPrompt.Build("q?", Passages)));
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("model \"no-such-model\" not found", e.Message, StringComparison.Ordinal);
        Assert.Contains(server.Url.ToString(), e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_one_clear_line()
    {
        var url = FakeChatServer.UnreachableUrl();
        var named = new ChatAnswerer(await new ChatEndpoint(url, "m").ConnectAsync());
        var e = await Assert.ThrowsAsync<AnswerServiceException>(() => named.AnswerAsync(AnswerPrompt.Build("q?", Passages)));
        Assert.StartsWith($"could not reach the chat endpoint at {url}/", e.Message, StringComparison.Ordinal);
        Assert.Null(e.StatusCode);
        Assert.DoesNotContain('\n', e.Message);

        // Without a model name the endpoint is asked for its models first, which fails the same way.
        var listing = await Assert.ThrowsAsync<AnswerServiceException>(() => new ChatEndpoint(url).ConnectAsync());
        Assert.StartsWith("could not reach the chat endpoint", listing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:11434", "http://localhost:11434/v1/")]
    [InlineData("http://localhost:8080/v1", "http://localhost:8080/v1/")]
    [InlineData("https://api.example/v1/", "https://api.example/v1/")]
    public void The_base_url_gets_v1_when_it_has_no_path(string given, string used) =>
        Assert.Equal(used, new ChatEndpoint(new Uri(given), "m").Url.ToString());
}
