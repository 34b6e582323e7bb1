using System.Text.Json;
using BitSieve.Cli;
using BitSieve.Cli.Evaluation;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Evaluation;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary>The rank metrics on hand-made rankings, and <c>bitsieve eval</c> end to end on a tiny folder with the built-in model.</summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class EvalCommandTests : IDisposable
{
    private const double Tolerance = 1e-12;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bitsieve-eval-" + Guid.NewGuid().ToString("N"));
    private string Docs => Path.Combine(_root, "docs");
    private string Db => Path.Combine(_root, "db");

    public EvalCommandTests()
    {
        Directory.CreateDirectory(Docs);
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", Path.Combine(_root, "cache"));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static double D(int rank) => 1 / Math.Log2(rank + 1);

    [Fact]
    public void Metrics_of_hand_made_rankings_are_exact()
    {
        // Relevant at ranks 2 and 4; three relevant chunks exist.
        bool[] ranking = [false, true, false, true, false, false, false, false, false, false];
        Assert.Equal(0, RetrievalMetrics.HitAt(ranking, 1));
        Assert.Equal(1, RetrievalMetrics.HitAt(ranking, 5));
        Assert.Equal(1, RetrievalMetrics.HitAt(ranking, 10));
        Assert.Equal(0.5, RetrievalMetrics.ReciprocalRank(ranking), Tolerance);
        Assert.Equal((D(2) + D(4)) / (D(1) + D(2) + D(3)), RetrievalMetrics.Ndcg(ranking, relevantTotal: 3), Tolerance);

        // Nothing relevant retrieved.
        bool[] none = [false, false, false];
        Assert.Equal(0, RetrievalMetrics.HitAt(none, 10));
        Assert.Equal(0, RetrievalMetrics.ReciprocalRank(none));
        Assert.Equal(0, RetrievalMetrics.Ndcg(none, relevantTotal: 2));

        // A short list: rank 3 of 3; the ideal ranking holds both relevant chunks first.
        bool[] shortList = [false, false, true];
        Assert.Equal(0, RetrievalMetrics.HitAt(shortList, 1));
        Assert.Equal(1, RetrievalMetrics.HitAt(shortList, 5));
        Assert.Equal(1.0 / 3, RetrievalMetrics.ReciprocalRank(shortList), Tolerance);
        Assert.Equal(D(3) / (D(1) + D(2)), RetrievalMetrics.Ndcg(shortList, relevantTotal: 2), Tolerance);

        // Perfect with more relevant chunks than the depth: the ideal is capped at 10, so nDCG is 1.
        var ten = Enumerable.Repeat(true, 10).ToArray();
        Assert.Equal(1, RetrievalMetrics.Ndcg(ten, relevantTotal: 15), Tolerance);
        Assert.Equal(1, RetrievalMetrics.ReciprocalRank(ten));

        // A relevant chunk at rank 11 counts for nothing at depth 10.
        var eleventh = Enumerable.Range(1, 11).Select(r => r == 11).ToArray();
        Assert.Equal(0, RetrievalMetrics.HitAt(eleventh, 10));
        Assert.Equal(0, RetrievalMetrics.ReciprocalRank(eleventh));
        Assert.Equal(0, RetrievalMetrics.Ndcg(eleventh, relevantTotal: 1));

        // One relevant chunk at rank 1 out of one: every metric is 1.
        Assert.Equal(1, RetrievalMetrics.Ndcg([true, false], relevantTotal: 1), Tolerance);
    }

    [Fact]
    public void Totals_average_over_queries()
    {
        var totals = new MetricTotals();
        totals.Add([false, true, false, true], relevantTotal: 3);
        totals.Add([true], relevantTotal: 1);
        totals.Add([false, false, false, false, false, false, true], relevantTotal: 1);
        Assert.Equal(3, totals.Queries);
        Assert.Equal(1.0 / 3, totals.RecallAt1, Tolerance);
        Assert.Equal(2.0 / 3, totals.RecallAt5, Tolerance);
        Assert.Equal(1.0, totals.RecallAt10, Tolerance);
        Assert.Equal((0.5 + 1 + 1.0 / 7) / 3, totals.Mrr, Tolerance);
        Assert.Equal(((D(2) + D(4)) / (D(1) + D(2) + D(3)) + 1 + D(7)) / 3, totals.Ndcg, Tolerance);
    }

    [Theory]
    [InlineData("a.html", 0, 10, false)] // ends where the span starts: [0,10) and [10,20) share nothing
    [InlineData("a.html", 0, 11, true)]
    [InlineData("a.html", 19, 30, true)]
    [InlineData("a.html", 20, 30, false)] // starts where the span ends
    [InlineData("a.html", 12, 15, true)] // inside
    [InlineData("a.html", 0, 100, true)] // around
    [InlineData("b.html", 12, 15, false)] // another source
    [InlineData("A.html", 12, 15, false)] // sources compare ordinally
    public void A_chunk_is_relevant_when_it_shares_a_character_with_the_span_of_the_same_source(string source, int start, int end, bool relevant) =>
        Assert.Equal(relevant, RetrievalMetrics.IsRelevant(new LabelledQuery("q", "a.html", 10, 20, "en"), source, start, end));

    private static readonly string[] Sections =
    [
        "Installing packages with apt",
        "Configuring the network interfaces",
        "Scheduling jobs with cron",
    ];

    private static readonly string[] Bodies =
    [
        "The apt tool downloads packages from the Debian archive, checks their signatures, resolves dependencies and unpacks them. Use apt install to add software and apt remove to take it away again.",
        "Network interfaces are described in /etc/network/interfaces: each stanza names an interface, how it gets its address (static or by DHCP) and the routes that go with it. Restart networking to apply changes.",
        "The cron daemon runs commands at fixed times. Each user has a crontab edited with crontab -e; a line gives minute, hour, day of month, month and weekday, then the command to run periodically.",
    ];

    private void WriteBook()
    {
        var body = string.Concat(Sections.Select((s, i) => $"<div class=\"section\"><h2>1.{i + 1}. {s}</h2><p>{Bodies[i]}</p></div>\n"));
        File.WriteAllText(Path.Combine(Docs, "book.en.html"), $"<html><body><div class=\"chapter\"><h1>Chapter 1. Administration</h1>\n{body}</div></body></html>");
    }

    [Fact]
    public async Task Eval_builds_the_set_indexes_and_reports_every_method_and_setting()
    {
        WriteBook();
        string saved = Path.Combine(_root, "set.jsonl");
        var (code, output, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--db", Db, "--json", "--save-set", saved);
        Assert.True(code == 0, error);
        Assert.Contains("indexed 1 files", error, StringComparison.Ordinal);
        Assert.Contains("| hybrid | cascade 0.995 |", error, StringComparison.Ordinal); // the table goes to stderr with --json

        using var json = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        Assert.Equal("eval-en", root.GetProperty("collection").GetString());
        // The default precision of a new collection: the plan committed for minilm.
        var committed = BuiltInPlans.For(BuiltInModels.Load(BuiltInModels.MiniLm).ContentHash)!.ToPlan();
        Assert.Equal($"auto (plan {committed.Key})", root.GetProperty("precision").GetString());
        Assert.Equal(Sections.Length, root.GetProperty("queries").GetInt32());
        Assert.Equal(0, root.GetProperty("unanswerable").GetInt32());
        Assert.Equal(Sections, LabelledSetBuilder.ReadJsonl(saved).Select(q => q.Query));

        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(
            ["vector/float32 exact", "vector/cascade 0.995", "vector/cascade exact", "vector/fixed m=4", "lexical/BM25",
             "hybrid/float32 exact", "hybrid/cascade 0.995", "hybrid/cascade exact", "hybrid/fixed m=4"],
            rows.Select(r => r.GetProperty("method").GetString() + "/" + r.GetProperty("setting").GetString()));
        foreach (var row in rows)
        {
            double r1 = row.GetProperty("recall@1").GetDouble(), r5 = row.GetProperty("recall@5").GetDouble(), r10 = row.GetProperty("recall@10").GetDouble();
            Assert.True(0 <= r1 && r1 <= r5 && r5 <= r10 && r10 <= 1, row.ToString());
            Assert.InRange(row.GetProperty("mrr@10").GetDouble(), r1, 1);
            Assert.InRange(row.GetProperty("ndcg@10").GetDouble(), 0, 1);
        }
        foreach (string method in new[] { "vector", "hybrid" })
        {
            var baseline = rows.Single(r => r.GetProperty("method").GetString() == method && r.GetProperty("setting").GetString() == "float32 exact");
            Assert.Equal(1, baseline.GetProperty("ndcg_vs_float32").GetDouble());
            Assert.Equal(1, baseline.GetProperty("overlap_vs_float32").GetDouble());
            // Three chunks: every setting finds the same top 10 as float32.
            Assert.All(rows.Where(r => r.GetProperty("method").GetString() == method), r =>
                Assert.Equal(baseline.GetProperty("ndcg@10").GetDouble(), r.GetProperty("ndcg@10").GetDouble(), Tolerance));
        }
        var lexical = rows.Single(r => r.GetProperty("method").GetString() == "lexical");
        Assert.Equal(JsonValueKind.Null, lexical.GetProperty("ndcg_vs_float32").ValueKind);
        Assert.Equal(1, lexical.GetProperty("recall@1").GetDouble()); // each heading's words are in its own section's chunk

        // Again: nothing is re-embedded, and the table goes to stdout.
        (code, output, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--db", Db);
        Assert.True(code == 0, error);
        Assert.Contains("indexed 0 files (0 chunks)", error, StringComparison.Ordinal);
        Assert.Contains("unchanged 1", error, StringComparison.Ordinal);
        Assert.Contains("| method | vector search | Recall@1 |", output, StringComparison.Ordinal);
        Assert.Contains("| lexical | BM25 |", output, StringComparison.Ordinal);
        Assert.Contains("hybrid (the default mode) nDCG@10", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hand_made_set_is_scored_against_its_spans_and_unanswerable_queries_are_left_out()
    {
        // Plain text: the extracted text is the file itself, so spans are offsets into it.
        string text = string.Join("\n\n", Bodies);
        File.WriteAllText(Path.Combine(Docs, "admin.txt"), text);
        string set = Path.Combine(_root, "hand.jsonl");
        var labels = new List<LabelledQuery>();
        for (int i = 0; i < Bodies.Length; i++)
        {
            int start = text.IndexOf(Bodies[i], StringComparison.Ordinal);
            labels.Add(new LabelledQuery(i switch { 0 => "apt install remove signatures", 1 => "DHCP static address routes", _ => "crontab minute hour weekday" }, "admin.txt", start, start + Bodies[i].Length, "en"));
        }
        labels.Add(new LabelledQuery("a file that is not there", "missing.txt", 0, 50, "en"));
        labels.Add(new LabelledQuery("パッケージ", "admin.txt", 0, 50, "ja")); // another language: not used
        LabelledSetBuilder.WriteJsonl(labels, set);

        var (code, output, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--set", set, "--db", Db, "--collection", "hand", "--precision", "int8", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("model minilm, precision int8", error, StringComparison.Ordinal);
        Assert.Contains("no chunk overlaps the labelled span of \"a file that is not there\"", error, StringComparison.Ordinal);
        var root = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(4, root.GetProperty("labelled").GetInt32());
        Assert.Equal(1, root.GetProperty("unanswerable").GetInt32());
        Assert.Equal(3, root.GetProperty("queries").GetInt32());
        // The chunker keeps each short paragraph whole or the file as one chunk; either way each query's words sit in
        // chunks that overlap its own span, and BM25 puts one of them first.
        var lexical = root.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("method").GetString() == "lexical");
        Assert.Equal(1, lexical.GetProperty("recall@1").GetDouble());
        Assert.Equal(1, lexical.GetProperty("mrr@10").GetDouble());
    }

    [Fact]
    public async Task A_set_may_label_whole_documents_and_sections_by_heading_and_fusions_add_a_row_per_rule()
    {
        WriteBook();
        File.WriteAllText(Path.Combine(Docs, "cron.txt"), Bodies[2]);
        string set = Path.Combine(_root, "real.jsonl");
        File.WriteAllLines(set,
        [
            """{"query":"run a command every night at a fixed time","source":"cron.txt","lang":"en"}""",
            """{"query":"how do I add software","source":"book.en.html","section":"Installing packages with apt","lang":"en"}""",
        ]);
        var (code, output, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--set", set, "--db", Db, "--collection", "real", "--fusions", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(2, root.GetProperty("queries").GetInt32());
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["reciprocal-rank", "min-max", "z-score", "confidence", "ladder"],
            rows.Where(r => r.GetProperty("method").GetString() == "fusion").Select(r => r.GetProperty("setting").GetString()));
        // The default hybrid row is the ladder's.
        var hybrid = rows.Single(r => r.GetProperty("method").GetString() == "hybrid" && r.GetProperty("setting").GetString() == "cascade 0.995");
        var ladder = rows.Single(r => r.GetProperty("setting").GetString() == "ladder");
        Assert.Equal(hybrid.GetProperty("ndcg@10").GetDouble(), ladder.GetProperty("ndcg@10").GetDouble(), Tolerance);
        // Any chunk of cron.txt answers the first, the apt section of the book the second (its heading resolved to
        // its span): BM25 finds an answer to both in its top 5.
        var lexical = rows.Single(r => r.GetProperty("method").GetString() == "lexical");
        Assert.Equal(1, lexical.GetProperty("recall@5").GetDouble());

        File.WriteAllLines(set, ["""{"query":"q","source":"book.en.html","section":"No such heading","lang":"en"}"""]);
        (code, _, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--set", set, "--db", Db, "--collection", "real");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("the section \"No such heading\" of 'book.en.html'", error, StringComparison.Ordinal);

        File.WriteAllLines(set, ["""{"query":"q","source":"cron.txt","start":4,"lang":"en"}"""]);
        (code, _, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--set", set, "--db", Db, "--collection", "real");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("real.jsonl:1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_gives_clear_errors()
    {
        WriteBook();
        var (code, _, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--db", Db, "--set", Path.Combine(_root, "nope.jsonl"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);

        (code, _, error) = await Run("eval", "--folder", Docs, "--lang", "ja", "--db", Db);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no labelled queries for language 'ja'", error, StringComparison.Ordinal);

        string set = Path.Combine(_root, "elsewhere.jsonl");
        LabelledSetBuilder.WriteJsonl([new LabelledQuery("apt", "other/book.en.html", 0, 100, "en")], set);
        (code, _, error) = await Run("eval", "--folder", Docs, "--lang", "en", "--db", Db, "--set", set);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("overlaps a chunk", error, StringComparison.Ordinal);

        (code, _, error) = await Run("eval", "--folder", Docs, "--lang", "e n", "--db", Db);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--lang", error, StringComparison.Ordinal);
    }
}
