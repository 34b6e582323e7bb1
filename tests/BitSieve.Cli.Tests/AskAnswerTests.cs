using System.Text.Json;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary><c>bitsieve ask</c>'s answers: extractive without <c>--llm</c>, a chat model's (a test server's) with it, and the endpoint's failures.</summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class AskAnswerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bitsieve-ask-" + Guid.NewGuid().ToString("N"));
    private string Docs => Path.Combine(_root, "docs");
    private string Db => Path.Combine(_root, "db");

    public AskAnswerTests()
    {
        Directory.CreateDirectory(Docs);
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", Path.Combine(_root, "cache"));
        File.WriteAllText(Path.Combine(Docs, "storage.md"), """
            # Storage

            Every write goes to the write-ahead log before it is applied. A crash loses nothing that was acknowledged.

            ## Compaction

            Compaction rewrites the column files without deleted points. It then swaps the manifest atomically.
            """);
        File.WriteAllText(Path.Combine(Docs, "pasta.txt"), "Boil the pasta for nine minutes in salted water.");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        Environment.SetEnvironmentVariable("BITSIEVE_LLM_API_KEY", null);
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Without_llm_ask_prints_the_passages_and_the_sentence_that_answers()
    {
        var (code, output, error) = await Run("ask", "--db", Db, Docs, "What does compaction rewrite?");
        Assert.True(code == 0, error);
        Assert.Contains("storage.md", output, StringComparison.Ordinal);
        Assert.True(output.Contains("Answer (extractive): **Compaction** **rewrites** the column files without deleted points. [", StringComparison.Ordinal), output);

        (code, output, error) = await Run("ask", "--db", Db, "--json", Docs, "What does compaction rewrite?");
        Assert.True(code == 0, error);
        var answer = JsonDocument.Parse(output).RootElement.GetProperty("answer");
        Assert.Equal("extractive", answer.GetProperty("kind").GetString());
        var sentence = answer.GetProperty("sentences")[0];
        Assert.Equal("Compaction rewrites the column files without deleted points.", sentence.GetProperty("text").GetString());
        Assert.Equal("[[0,10],[11,19]]", sentence.GetProperty("matches").GetRawText());
    }

    [Fact]
    public async Task With_llm_ask_sends_the_numbered_passages_streams_the_reply_and_ends_with_citations()
    {
        await using var server = FakeChatServer.Start(["The log takes every write ", "before it is applied [1]."]);
        Environment.SetEnvironmentVariable("BITSIEVE_LLM_API_KEY", "k-123");
        var (code, output, error) = await Run("ask", "--db", Db, "--k", "2", "--llm", server.Url.ToString(), "--llm-model", "test-model", Docs, "What does the write-ahead log do?");
        Assert.True(code == 0, error);
        Assert.Equal("The log takes every write before it is applied [1].\n\nSources:\n[1] storage.md § Storage\n", output.ReplaceLineEndings("\n"));

        var request = Assert.Single(server.Requests);
        Assert.Equal("test-model", request.GetProperty("model").GetString());
        Assert.True(request.GetProperty("stream").GetBoolean());
        string user = request.GetProperty("messages")[1].GetProperty("content").GetString()!;
        Assert.StartsWith("Passages:\n\n[1] storage.md § Storage\n# Storage\n\nEvery write goes to the write-ahead log", user, StringComparison.Ordinal);
        Assert.Contains("\n[2] ", user, StringComparison.Ordinal);
        Assert.DoesNotContain("\n[3] ", user, StringComparison.Ordinal);
        Assert.EndsWith("Question: What does the write-ahead log do?", user, StringComparison.Ordinal);
        Assert.Equal("Bearer k-123", server.LastAuthorization);
    }

    [Fact]
    public async Task With_llm_and_json_the_answer_and_its_citations_are_in_the_line()
    {
        await using var server = FakeChatServer.Start(["I cannot tell from these passages."]);
        var (code, output, error) = await Run("ask", "--db", Db, "--json", "--k", "2", "--llm", server.Url.ToString(), Docs, "Who wrote it?");
        Assert.True(code == 0, error);
        var answer = JsonDocument.Parse(output).RootElement.GetProperty("answer");
        Assert.Equal("generated", answer.GetProperty("kind").GetString());
        Assert.Equal("I cannot tell from these passages.", answer.GetProperty("text").GetString());
        Assert.False(answer.GetProperty("cited_by_reply").GetBoolean());
        Assert.Equal(2, answer.GetProperty("citations").GetArrayLength());
    }

    [Fact]
    public async Task An_unreachable_endpoint_or_a_missing_model_is_exit_code_1_and_one_line()
    {
        string url = FakeChatServer.UnreachableUrl().ToString();
        var (code, output, error) = await Run("ask", "--db", Db, "--llm", url, "--llm-model", "m", Docs, "What does compaction do?");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        string last = error.TrimEnd().Split('\n')[^1];
        Assert.StartsWith($"bitsieve ask: error: could not reach the chat endpoint at {url}/", last, StringComparison.Ordinal);

        await using var server = FakeChatServer.Start(["x"]);
        (code, _, error) = await Run("ask", "--db", Db, "--llm", server.Url.ToString(), "--llm-model", "llama9", Docs, "What does compaction do?");
        Assert.Equal(1, code);
        last = error.TrimEnd().Split('\n')[^1];
        Assert.StartsWith($"bitsieve ask: error: the chat endpoint at {server.Url}/ answered HTTP 404: model \"llama9\" not found", last, StringComparison.Ordinal);

        // A model without an endpoint, or an endpoint that is not a URL, is a usage error before anything is indexed.
        (code, _, error) = await Run("ask", "--db", Db, "--llm-model", "llama9", Docs, "q");
        Assert.Equal(2, code);
        Assert.Equal("bitsieve ask: error: --llm-model needs --llm URL (the chat endpoint).", error.TrimEnd());
        (code, _, error) = await Run("ask", "--db", Db, "--llm", "localhost-11434", Docs, "q");
        Assert.Equal(2, code);
        Assert.StartsWith("bitsieve ask: error: --llm: 'localhost-11434' is not an absolute URL", error.TrimEnd(), StringComparison.Ordinal);
    }
}
