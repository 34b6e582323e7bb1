using System.Text.Json;
using BitSieve.Cli;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary><c>bitsieve index</c>, <c>search</c> and <c>ask</c> with the built-in model on a small folder: incremental runs, bad files, output shapes.</summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class IndexSearchTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bitsieve-index-" + Guid.NewGuid().ToString("N"));
    private string Docs => Path.Combine(_root, "docs");
    private string Db => Path.Combine(_root, "db");

    public IndexSearchTests()
    {
        Directory.CreateDirectory(Path.Combine(Docs, "sub"));
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", Path.Combine(_root, "cache"));
        File.WriteAllText(Path.Combine(Docs, "storage.md"), """
            # Storage

            Every write goes to the write-ahead log before it is applied. A crash loses nothing that was acknowledged.

            ## Compaction

            Compaction rewrites the column files without deleted points, then swaps the manifest atomically.
            """);
        File.WriteAllText(Path.Combine(Docs, "sub", "japanese.txt"), "東京は日本の首都です。京都には古いお寺がたくさんあります。\n\n犬が公園を走っています。");
        File.WriteAllText(Path.Combine(Docs, "empty.txt"), "");
        File.WriteAllBytes(Path.Combine(Docs, "binary.txt"), [0x41, 0x00, 0x42, 0x00, 0xFF]);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Index_then_search_answers_in_english_and_japanese_with_exact_offsets()
    {
        var (code, output, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == 0, error);
        Assert.Contains("indexed 2 files", output, StringComparison.Ordinal);
        Assert.Contains("skipped 2", output, StringComparison.Ordinal);
        Assert.Contains("warning: skipped empty.txt", error, StringComparison.Ordinal);
        Assert.Contains("warning: skipped binary.txt", error, StringComparison.Ordinal);

        foreach (var (question, source, mode) in new[]
                 {
                     ("How does compaction swap the manifest?", "storage.md", "hybrid"),
                     ("東京", "sub/japanese.txt", "hybrid"),
                     ("犬", "sub/japanese.txt", "lexical"),
                     ("what happens to acknowledged writes after a crash", "storage.md", "vector"),
                 })
        {
            (code, output, error) = await Run("search", "--db", Db, "--json", "--k", "3", "--mode", mode, "--", question);
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]);
            var root = json.RootElement;
            Assert.Equal(question, root.GetProperty("query").GetString());
            Assert.Equal(mode, root.GetProperty("mode").GetString());
            var best = root.GetProperty("results")[0];
            Assert.Equal(source, best.GetProperty("source").GetString());
            // start/end index the file's extracted text (here the file itself, with \n line ends).
            string text = File.ReadAllText(Path.Combine(Docs, source)).ReplaceLineEndings("\n");
            int start = best.GetProperty("start").GetInt32(), end = best.GetProperty("end").GetInt32();
            Assert.Equal(text[start..end], best.GetProperty("text").GetString());
            Assert.True(root.GetProperty("trace").TryGetProperty("t1", out _));
        }
    }

    [Fact]
    public async Task Reindexing_touches_only_what_changed()
    {
        Assert.Equal(0, (await Run("index", "--db", Db, Docs)).Code);
        var (_, output, _) = await Run("index", "--db", Db, Docs);
        Assert.Contains("indexed 0 files (0 chunks)", output, StringComparison.Ordinal);
        Assert.Contains("unchanged 2", output, StringComparison.Ordinal);

        File.AppendAllText(Path.Combine(Docs, "storage.md"), "\n\nRecovery replays the log and discards a torn tail.\n");
        File.Delete(Path.Combine(Docs, "sub", "japanese.txt"));
        (_, output, _) = await Run("index", "--db", Db, Docs);
        Assert.Contains("indexed 1 files", output, StringComparison.Ordinal);
        Assert.Contains("removed 1", output, StringComparison.Ordinal);

        var (code, answer, error) = await Run("search", "--db", Db, "--json", "--mode", "lexical", "--", "東京");
        Assert.True(code == 0, error);
        Assert.Equal(0, JsonDocument.Parse(answer.TrimEnd().Split('\n')[^1]).RootElement.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task A_second_database_reuses_the_shared_caches_and_answers_the_same()
    {
        Assert.Equal(0, (await Run("index", "--db", Db, Docs)).Code);
        string cache = Path.Combine(_root, "cache");
        Assert.True(File.Exists(Path.Combine(cache, "embeddings.sqlite")));
        Assert.True(File.Exists(Path.Combine(cache, "extractions.sqlite")));
        string other = Path.Combine(_root, "db2");
        var (code, output, error) = await Run("index", "--db", other, Docs);
        Assert.True(code == 0, error);
        Assert.Contains("indexed 2 files", output, StringComparison.Ordinal);

        async Task<string> Answer(string db) => (await Run("search", "--db", db, "--json", "--k", "3", "--", "How does compaction swap the manifest?")).Output.TrimEnd().Split('\n')[^1];
        static string Results(string line) => JsonDocument.Parse(line).RootElement.GetProperty("results").GetRawText();
        Assert.Equal(Results(await Answer(Db)), Results(await Answer(other)));
    }

    [Fact]
    public async Task Search_answers_every_line_of_a_queries_file_and_ask_does_both_steps()
    {
        var (code, output, error) = await Run("ask", "--db", Db, Docs, "What does the write-ahead log do?");
        Assert.True(code == 0, error);
        Assert.Contains("storage.md", output, StringComparison.Ordinal);
        Assert.Contains("trace {\"t1\"", output, StringComparison.Ordinal);

        string queries = Path.Combine(_root, "q.txt");
        File.WriteAllLines(queries, ["compaction", "", "京都のお寺"]);
        (code, output, error) = await Run("search", "--db", Db, "--json", "--queries", queries);
        Assert.True(code == 0, error);
        var lines = output.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("京都のお寺", JsonDocument.Parse(lines[1]).RootElement.GetProperty("query").GetString());
    }

    [Theory]
    [InlineData("en", "パッケージ管理", 0)] // an English-only model and a Japanese question: BM25 first
    [InlineData("en", "apt の使い方", 0)]
    [InlineData("en", "UEFI ブート", 0)] // the model reads UEFI, not ブート (boot)
    [InlineData("en", "How do I install packages?", 1)]
    [InlineData("ja", "パッケージ管理", 1)]
    [InlineData("zh-Hans", "软件包管理", 1)]
    [InlineData(null, "パッケージ管理", 1)] // a model that does not say: it may be multilingual
    public void Hybrid_search_lets_a_one_language_model_vote_only_on_questions_it_can_read(string? language, string question, double weight)
    {
        Assert.Equal(weight, BitSieve.Text.ScriptDetector.HybridVectorWeight(question, language), 12);
    }

    [Fact]
    public async Task Bad_input_gives_clear_errors()
    {
        var (code, _, error) = await Run("index", "--db", Db, Path.Combine(_root, "missing"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);

        (code, _, error) = await Run("index", "--db", Db, "--model", Path.Combine(_root, "no-model-here"), Docs);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no-model-here", error, StringComparison.Ordinal);

        (code, _, error) = await Run("search", "--db", Db, "anything");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("bitsieve index", error, StringComparison.Ordinal);
    }
}
