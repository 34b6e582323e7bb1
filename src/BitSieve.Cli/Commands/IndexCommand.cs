using System.CommandLine;
using System.Globalization;
using BitSieve.Embeddings;
using BitSieve.Ingest.Pipeline;
using BitSieve.Ingest.Rag;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve index &lt;folder&gt;</c>: indexes a folder of documents into a collection (incrementally: only new or
/// changed files are embedded), with a progress bar on a terminal and plain lines otherwise.
/// </summary>
internal static class IndexCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var model = ModelOption();
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var reindex = new Option<bool>("--reindex")
        {
            Description = "Re-embed every file with --model and --precision (default: the collection's) into a new collection and swap it in at the end; " +
                          "until then searches use the old vectors, and an interrupted run leaves the old collection as it was.",
        };
        var folder = new Argument<string>("folder") { Description = "The folder to index (.txt, .md, .html, .pdf; hidden folders are skipped)." };
        var command = new Command("index", "Index a folder of documents (incrementally) for search.") { db, collection, model, precision, plan, reindex, folder };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync("bitsieve index", parse.InvocationConfiguration.Error, async token =>
        {
            using var database = Database.Open(parse.GetValue(db)!);
            var report = await ExecuteAsync(database, parse.GetValue(collection)!, parse.GetValue(model), PrecisionChoice.Read(parse, precision, plan), parse.GetValue(folder)!,
                parse.InvocationConfiguration.Error, token, parse.GetValue(reindex)).ConfigureAwait(false);
            WriteReport(report, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    internal static Option<string?> ModelOption() => new("--model")
    {
        Description = "Embedding model: minilm (default), arctic-xs, a local sentence-transformers ONNX folder, openai:MODEL or an http(s) endpoint. " +
                      "A collection is bound to the model it was created with: search uses it, and another model is refused (index --reindex re-embeds).",
        HelpName = "NAME|PATH",
    };

    /// <summary>
    /// Indexes a folder into a collection (created for the model and <paramref name="precision"/> when missing); an
    /// existing one is indexed with the model it is bound to, and another <paramref name="model"/> or precision is a
    /// usage error naming both. With <paramref name="reindex"/> everything is re-embedded with <paramref name="model"/>
    /// (default: the collection's) and <paramref name="precision"/> (default: the collection's for the same model, else
    /// the new model's default, auto: its committed plan or fp32) into a new collection that replaces the old one at the end (<see cref="RagService.ReindexAsync"/>).
    /// Progress goes to <paramref name="log"/>. Cancelling stops it between documents: every document indexed so far
    /// stays, and the next run resumes (a re-index starts over, the old collection untouched).
    /// </summary>
    internal static async Task<IndexReport> ExecuteAsync(Database database, string name, string? model, PrecisionRequest precision, string folder, TextWriter log,
        CancellationToken cancellationToken, bool reindex = false)
    {
        if (!Directory.Exists(folder)) throw new UsageException($"the folder '{folder}' does not exist.");
        using var rag = new CliRag(database, indexing: true);
        var progress = new ProgressDisplay(log);
        IndexReport report;
        if (reindex)
        {
            var existing = database.CollectionExists(name) ? database.GetCollection(name) : null;
            string? boundModel = existing?.GetProperty(FolderIndexer.ModelProperty);
            string modelName = model ?? boundModel ?? EmbeddingModels.Default;
            // A precision not given is kept for the same model; a new model gets the default, auto (a plan belongs to one model's bytes).
            var chosen = PrecisionChoice.ForCollection(modelName == boundModel && precision.Precision is null ? existing : null, precision, modelName);
            (_, report) = await rag.Service.ReindexAsync(name, new ModelRequest(modelName, chosen.Stored), folder, progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var collection = await rag.OpenAsync(name, model, precision, create: true, cancellationToken).ConfigureAwait(false);
            report = await CliRag.Checked(collection.IndexFolderAsync(folder, progress, cancellationToken)).ConfigureAwait(false);
        }
        progress.Finish();
        foreach (string skipped in report.Skipped) log.WriteLine($"warning: skipped {skipped}");
        return report;
    }

    internal static void WriteReport(IndexReport report, TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"indexed {report.Indexed} files ({report.Chunks} chunks) in {report.Elapsed.TotalSeconds:F1} s ({report.Chunks / Math.Max(report.Elapsed.TotalSeconds, 1e-9):F1} chunks/s); unchanged {report.Unchanged}, removed {report.Removed}, moved {report.Moved}, skipped {report.Skipped.Count}"));
        output.Flush();
    }

    /// <summary>A one-line progress bar on a terminal; a plain line every few seconds otherwise.</summary>
    private sealed class ProgressDisplay(TextWriter log) : IProgress<IndexProgress>
    {
        private readonly bool _terminal = ReferenceEquals(log, Console.Error) && !Console.IsErrorRedirected;
        private TimeSpan? _lastLine;
        private bool _drawn;

        public void Report(IndexProgress value)
        {
            string eta = value.Remaining is { } r ? $"ETA {r:mm\\:ss}" : "ETA --:--";
            string text = string.Create(CultureInfo.InvariantCulture,
                $"files {value.FilesDone}/{value.FilesTotal}, chunks {value.Chunks}, {value.ChunksPerSecond:F1} chunks/s, {eta}");
            if (_terminal)
            {
                const int width = 24;
                int filled = value.FilesTotal == 0 ? width : value.FilesDone * width / value.FilesTotal;
                log.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}   ");
                _drawn = true;
            }
            else if (_lastLine is null || value.Elapsed - _lastLine >= TimeSpan.FromSeconds(2) || value.FilesDone == value.FilesTotal)
            {
                _lastLine = value.Elapsed;
                log.WriteLine(text);
            }
        }

        public void Finish()
        {
            if (_drawn) log.WriteLine();
        }
    }
}
