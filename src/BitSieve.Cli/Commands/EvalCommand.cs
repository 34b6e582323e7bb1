using System.CommandLine;
using BitSieve.Cli.Evaluation;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve eval</c>: retrieval quality on a labelled set — indexes a folder (incrementally), builds the set from
/// its section headings (or reads one), and reports Recall@1/5/10, MRR@10 and nDCG@10 of vector, lexical and hybrid
/// search under each vector-search setting, with the float32 exhaustive search as the baseline.
/// </summary>
internal static class EvalCommand
{
    /// <summary>The relevance rule and the metrics, printed after the options by <c>eval --help</c> (the code is <see cref="RetrievalMetrics"/>).</summary>
    public const string MetricsHelp = """
        Relevance and metrics:
          A retrieved chunk is relevant when its source equals the labelled source and its [start, end) shares at least
          one character with the labelled span: start < label.end and label.start < end (UTF-16 offsets into the file's
          extracted text). Gains are binary; metrics are averaged over the queries.
          Recall@k   fraction of queries with at least one relevant chunk in the top k (k = 1, 5, 10).
          MRR@10     mean of 1/rank of the first relevant chunk (0 when none is in the top 10).
          nDCG@10    sum over relevant ranks i <= 10 of 1/log2(i+1), divided by the same sum for min(10, R) relevant
                     chunks at the top, R = the relevant chunks in the whole collection.
          Queries whose span no chunk overlaps (R = 0) are left out and counted.
        Vector settings (vector rows, and the vector side of hybrid):
          float32 exact   exhaustive float32 scoring of every chunk: the baseline.
          cascade 0.995   the default dynamic cascade (recall@k target 0.995).
          cascade exact   certified bounds: equal to float32 exact up to ties.
          fixed m=M       the top 10*M by the 1-bit estimate, rescored with float32.
          Hybrid fuses the vector list (50 candidates) with BM25's exactly as search and ask do, by the ladder: the
          list more confident in the query (the top hit's cosine; the share of the query's attainable BM25 score that
          BM25's top hit reaches) leads and the other breaks its near-ties; for a query with CJK characters and a model
          trained on English only, the vector list only fills up BM25's. --fusions adds a row per fusion rule (the
          vector side: cascade 0.995).
        Sets (--set): one JSON object a line, {"query","source","lang"} and either "start"/"end" (a span), or
          "section" (a heading of the source without its number: that section's span), or neither (any chunk of the
          source answers).
        """;

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var folder = new Option<string>("--folder") { Description = "The folder to index and to build the labelled set from (HTML pages named *.LANG.html with headings).", Required = true, HelpName = "DIR" };
        var lang = new Option<string>("--lang") { Description = "The set's language: en or ja (the tag in the file names).", Required = true, HelpName = "en|ja" };
        var set = new Option<string?>("--set") { Description = "Read the labelled set from this JSONL file ({\"query\",\"source\",\"start\",\"end\",\"lang\"} a line; sources relative to --folder) instead of building it.", HelpName = "FILE" };
        var saveSet = new Option<string?>("--save-set") { Description = "Write the labelled set used to this JSONL file.", HelpName = "FILE" };
        var db = DatabaseArguments.Db();
        var collection = new Option<string?>("--collection") { Description = "Collection to index into (default eval-LANG; it mirrors the folder, so do not share it with another folder).", HelpName = "NAME" };
        var model = IndexCommand.ModelOption();
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var oversampling = new Option<int>("--oversampling") { Description = "m of the fixed-oversampling rows.", DefaultValueFactory = _ => 4, HelpName = "M" };
        var fusions = new Option<bool>("--fusions") { Description = "Add a row per fusion rule (reciprocal-rank, min-max, z-score, confidence, ladder), the vector side under the default cascade." };
        var json = new Option<bool>("--json") { Description = "Print one JSON line on stdout (the table then goes to stderr)." };
        var command = new Command("eval", "Retrieval quality on a labelled set: Recall@1/5/10, MRR@10, nDCG@10 of vector, lexical and hybrid search under each vector setting, against float32 exact.")
        {
            folder, lang, set, saveSet, db, collection, model, precision, plan, oversampling, fusions, json,
        };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync("bitsieve eval", parse.InvocationConfiguration.Error, async token =>
        {
            string language = parse.GetValue(lang)!.Trim();
            if (language.Length == 0 || !language.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
                throw new UsageException($"--lang must be a language tag such as en or ja; got '{language}'.");
            var settings = new EvalSettings
            {
                Folder = parse.GetValue(folder)!,
                Language = language,
                SetPath = parse.GetValue(set),
                SaveSetPath = parse.GetValue(saveSet),
                Collection = parse.GetValue(collection) ?? "eval-" + language.ToLowerInvariant(),
                Model = parse.GetValue(model),
                Precision = PrecisionChoice.Read(parse, precision, plan),
                Oversampling = parse.GetValue(oversampling),
                Fusions = parse.GetValue(fusions),
            };
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            using var database = Database.Open(parse.GetValue(db)!);
            var report = await EvalRunner.RunAsync(database, settings, error, token).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                EvalRunner.WriteTable(report, error);
                output.WriteLine(EvalRunner.ToJson(report));
                output.Flush();
            }
            else
            {
                EvalRunner.WriteTable(report, output);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
