using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BitSieve.Cli.Data;
using BitSieve.Ingest.Rag;
using BitSieve.Text;

namespace BitSieve.Cli.Commands;

/// <summary>How a question is matched.</summary>
internal enum SearchMode
{
    /// <summary>Vectors only (the embedding model's notion of meaning).</summary>
    Vector,

    /// <summary>BM25 only (words, and character bigrams in CJK text).</summary>
    Lexical,

    /// <summary>
    /// Both, fused by the ladder, the list more confident in the question leading (<see cref="Collection.SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/>):
    /// the default, as neither alone serves real questions, exact terms and Japanese. For a
    /// CJK question and a model trained on English only, the vector hits only fill up BM25's (<see cref="SearchCommand.VectorWeight"/>).
    /// </summary>
    Hybrid,
}

/// <summary>
/// <c>bitsieve search</c>: answers a question (or each line of a file) with the best passages: source, location, a
/// snippet with the matched words marked, the score and the cascade's trace; <c>--json</c> prints one JSON line per question.
/// </summary>
internal static class SearchCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var model = IndexCommand.ModelOption();
        var k = new Option<int>("--k") { Description = "Passages per question.", DefaultValueFactory = _ => 5 };
        var mode = new Option<SearchMode>("--mode") { Description = "vector, lexical or hybrid (default).", DefaultValueFactory = _ => SearchMode.Hybrid };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per question: {\"query\",\"mode\",\"results\":[{\"source\",\"start\",\"end\",\"score\",\"text\"}],\"trace\"}." };
        var queries = new Option<string?>("--queries") { Description = "Answer every line of this file (the model is loaded once).", HelpName = "FILE" };
        var vectors = new Option<string?>("--vectors")
        {
            Description = "Search with each row of this fvecs file instead of a question (vectors only, no model): prints each row's hits as id and score; "
                + "with --json one line per row: {\"row\",\"results\":[{\"id\",\"score\"}],\"trace\"}.",
            HelpName = "Q.fvecs",
        };
        var question = new Argument<string?>("question") { Description = "The question (put -- before it when it starts with '-').", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("search", "Find the passages that answer a question.") { db, collection, model, k, mode, json, queries, vectors, question };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync("bitsieve search", parse.InvocationConfiguration.Error, async token =>
        {
            if (parse.GetValue(vectors) is { } vectorsPath)
            {
                if (parse.GetValue(queries) is not null || parse.GetValue(question) is not null) throw new UsageException("--vectors replaces the question: give one or the other");
                var rows = VecsFile.ReadFvecs(vectorsPath);
                using var readOnly = Database.Open(parse.GetValue(db)!, new DatabaseOptions { ReadOnly = true });
                return ExecuteVectors(readOnly, parse.GetValue(collection)!, rows, parse.GetValue(k), parse.GetValue(json), parse.InvocationConfiguration.Output, token);
            }
            var questions = parse.GetValue(queries) is { } file
                ? File.ReadLines(file).Where(l => l.Trim().Length > 0).ToList()
                : parse.GetValue(question) is { } q ? [q] : throw new UsageException("no question: give it as the argument or with --queries FILE");
            using var database = Database.Open(parse.GetValue(db)!, new DatabaseOptions { ReadOnly = true });
            return await ExecuteAsync(database, parse.GetValue(collection)!, parse.GetValue(model), questions, parse.GetValue(k), parse.GetValue(mode),
                parse.GetValue(json), parse.InvocationConfiguration.Output, token).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    /// <summary>Answers each question in turn with the collection's model (or <paramref name="model"/>, which must make the same vectors); cancelling stops it between questions.</summary>
    internal static async Task<int> ExecuteAsync(Database database, string name, string? model, IReadOnlyList<string> questions, int k, SearchMode mode, bool json, TextWriter output,
        CancellationToken cancellationToken)
    {
        if (k is < 1 or > 1000) throw new UsageException($"--k must lie in 1..1000; got {k}.");
        using var rag = new CliRag(database, indexing: false);
        var collection = await rag.OpenAsync(name, model, PrecisionRequest.Stored, create: false, cancellationToken).ConfigureAwait(false);
        var options = new RagSearchOptions { Mode = ToRag(mode), Search = new SearchOptions { K = k } };
        foreach (string question in questions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await CliRag.Checked(collection.SearchAsync(question, options, cancellationToken)).ConfigureAwait(false);
            if (json) output.WriteLine(ToJson(question, mode, result));
            else Print(question, result, output);
            output.Flush();
        }
        return ExitCodes.Ok;
    }

    /// <summary>The service's name of a mode.</summary>
    internal static RagSearchMode ToRag(SearchMode mode) => mode switch
    {
        SearchMode.Vector => RagSearchMode.Vector,
        SearchMode.Lexical => RagSearchMode.Lexical,
        _ => RagSearchMode.Hybrid,
    };

    /// <summary>Searches with each row of <paramref name="rows"/>, printing the hits' ids and scores; cancelling stops it between rows.</summary>
    internal static int ExecuteVectors(Database database, string name, VecsMatrix<float> rows, int k, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        if (k is < 1 or > 1000) throw new UsageException($"--k must lie in 1..1000; got {k}.");
        if (!database.CollectionExists(name)) throw new UsageException($"collection '{name}' does not exist in '{database.Path}'.");
        var collection = database.GetCollection(name);
        if (rows.Dimension != collection.Dimension)
            throw new UsageException($"the query vectors have dimension {rows.Dimension}, but collection '{name}' holds {collection.Dimension}-dimensional ones.");
        for (int row = 0; row < rows.Rows; row++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = collection.Search(rows.Row(row), new SearchOptions { K = k }, withPayload: false);
            if (json) output.WriteLine(ToJson(row, result));
            else
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"row {row}: ")
                    + string.Join(", ", result.Hits.Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Id} ({h.Score:F4})"))));
                output.WriteLine($"trace {result.Trace.ToJson()}");
            }
            output.Flush();
        }
        return ExitCodes.Ok;
    }

    internal static void Print(string question, PointSearchResult result, TextWriter output)
    {
        output.WriteLine($"Q: {question}");
        if (result.Hits.Count == 0) output.WriteLine("  (no passages)");
        for (int i = 0; i < result.Hits.Count; i++)
        {
            var hit = result.Hits[i];
            var chunk = ChunkPayload.Read(hit.Payload);
            string headings = chunk is null ? "" : string.Join(" > ", chunk.Headings);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i + 1}. {chunk?.Source ?? hit.Id.ToString()} [{chunk?.Start}..{chunk?.End}]{(headings.Length > 0 ? " " + headings : "")}  score {hit.Score:F4}"));
            output.WriteLine("   " + Snippet(chunk?.Text ?? "", question));
        }
        output.WriteLine($"trace {result.Trace.ToJson()}");
        output.WriteLine();
    }

    /// <summary>About 240 characters around the first matched query term, with every matched term in «».</summary>
    internal static string Snippet(string text, string question)
    {
        var terms = FtsLexer.QueryTerms(question).Select(t => t.Text)
            .Where(t => ScriptDetector.ContainsCjk(t) || (t.Length >= 2 && !HighlightStopWords.Contains(t))).Distinct().ToList();
        var marks = new List<(int Start, int End)>();
        foreach (string term in terms)
        {
            bool cjk = ScriptDetector.ContainsCjk(term);
            for (int at = text.IndexOf(term, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(term, at + term.Length, StringComparison.OrdinalIgnoreCase))
            {
                // Latin terms mark whole words only (prefixes allowed, as stems: "package" marks "packages").
                if (!cjk && at > 0 && char.IsLetterOrDigit(text[at - 1])) continue;
                marks.Add((at, at + term.Length));
            }
        }
        marks = Merge(marks);
        int first = marks.Count > 0 ? marks[0].Start : 0;
        int from = Math.Max(0, first - 80), to = Math.Min(text.Length, from + 240);
        var snippet = new StringBuilder(from > 0 ? "…" : "");
        int position = from;
        foreach (var (start, end) in marks.Where(m => m.Start >= from && m.End <= to))
        {
            snippet.Append(text, position, start - position).Append('«').Append(text, start, end - start).Append('»');
            position = end;
        }
        snippet.Append(text, position, to - position).Append(to < text.Length ? "…" : "");
        return snippet.ToString().ReplaceLineEndings(" ");
    }

    /// <summary>Words too common to be worth marking in a snippet (they still count in BM25, weighted by their rarity).</summary>
    private static readonly HashSet<string> HighlightStopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "in", "is", "it", "of", "on", "or",
        "the", "this", "to", "what", "when", "where", "which", "who", "why", "with",
    };

    private static List<(int Start, int End)> Merge(List<(int Start, int End)> marks)
    {
        var merged = new List<(int Start, int End)>();
        foreach (var m in marks.OrderBy(m => m.Start))
        {
            if (merged.Count > 0 && m.Start <= merged[^1].End) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, m.End));
            else merged.Add(m);
        }
        return merged;
    }

    internal static string ToJson(int row, PointSearchResult result)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("row", row);
            w.WriteStartArray("results");
            foreach (var hit in result.Hits)
            {
                w.WriteStartObject();
                w.WritePropertyName("id");
                hit.Id.WriteTo(w);
                w.WriteNumber("score", hit.Score);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WritePropertyName("trace");
            using (var trace = JsonDocument.Parse(result.Trace.ToJson())) trace.WriteTo(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    internal static string ToJson(string question, SearchMode mode, PointSearchResult result)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("query", question);
            w.WriteString("mode", mode.ToString().ToLowerInvariant());
            w.WriteStartArray("results");
            foreach (var hit in result.Hits)
            {
                var chunk = ChunkPayload.Read(hit.Payload);
                w.WriteStartObject();
                w.WriteString("source", chunk?.Source);
                w.WriteNumber("start", chunk?.Start ?? 0);
                w.WriteNumber("end", chunk?.End ?? 0);
                w.WriteNumber("score", hit.Score);
                w.WriteString("text", chunk?.Text);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WritePropertyName("trace");
            using (var trace = JsonDocument.Parse(result.Trace.ToJson())) trace.WriteTo(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
