using System.CommandLine;
using System.Globalization;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Pipeline;
using Microsoft.Extensions.AI;

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
        var folder = new Argument<string>("folder") { Description = "The folder to index (.txt, .md, .html, .pdf; hidden folders are skipped)." };
        var command = new Command("index", "Index a folder of documents (incrementally) for search.") { db, collection, model, precision, plan, folder };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync("bitsieve index", parse.InvocationConfiguration.Error, async token =>
        {
            using var database = Database.Open(parse.GetValue(db)!);
            var report = await ExecuteAsync(database, parse.GetValue(collection)!, parse.GetValue(model), PrecisionChoice.Read(parse, precision, plan), parse.GetValue(folder)!, parse.InvocationConfiguration.Error, token).ConfigureAwait(false);
            WriteReport(report, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    internal static Option<string?> ModelOption() => new("--model")
    {
        Description = "Embedding model: minilm (default), arctic-xs, a local sentence-transformers ONNX folder, openai:MODEL or an http(s) endpoint. Search uses the model the collection was indexed with.",
        HelpName = "NAME|PATH",
    };

    /// <summary>
    /// Indexes a folder into a collection (created for the model and <paramref name="precision"/> when missing; an
    /// existing one keeps its own); progress to <paramref name="log"/>.
    /// Cancelling stops it between documents: every document indexed so far stays, and the next run resumes.
    /// </summary>
    internal static async Task<IndexReport> ExecuteAsync(Database database, string name, string? model, PrecisionRequest precision, string folder, TextWriter log,
        CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder)) throw new UsageException($"the folder '{folder}' does not exist.");
        var existing = database.CollectionExists(name) ? database.GetCollection(name) : null;
        string modelName = model ?? existing?.GetProperty(FolderIndexer.ModelProperty) ?? EmbeddingModels.Default;
        var chosen = PrecisionChoice.ForCollection(existing, precision, modelName);
        using var cache = EmbeddingCache.Open();
        using var extractions = ExtractionCache.Open(EmbeddingCache.DefaultDirectory());
        using var embedder = EmbeddingModels.Create(modelName, PrecisionChoice.ModelOptions(chosen, cache));
        int dimensions = embedder.GetService<EmbeddingModelInfo>()?.Dimensions ?? 0;
        if (existing is not null && dimensions != 0 && existing.Dimension != dimensions)
            throw new UsageException($"model '{modelName}' makes {dimensions}-dimensional vectors, but collection '{name}' holds {existing.Dimension}-dimensional ones; index into another --collection.");
        var target = existing ?? database.CreateCollection(name, new CollectionOptions { Dimension = dimensions > 0 ? dimensions : await ProbeAsync(embedder, cancellationToken).ConfigureAwait(false) });
        target.SetProperty(FolderIndexer.ModelProperty, modelName);
        target.SetProperty(FolderIndexer.PrecisionProperty, chosen.Stored);
        var progress = new ProgressDisplay(log);
        var report = await new FolderIndexer(target, embedder, extractions: extractions).IndexAsync(folder, progress, cancellationToken).ConfigureAwait(false);
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

    private static async Task<int> ProbeAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, CancellationToken cancellationToken) =>
        (await embedder.GenerateAsync(["dimension probe"], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector.Length;

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
