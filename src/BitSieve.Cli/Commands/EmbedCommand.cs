using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BitSieve.Cli.Data;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.OpenAi;
using Microsoft.Extensions.AI;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve embed</c>: the embedding of one text, as the ingest pipeline and the server would compute it. Prints
/// the vector on stdout (one line of floats, or with <c>--json</c> one JSON object) and a summary on stderr. With
/// <c>--jsonl</c> it embeds every line of a file instead (optionally into fvecs) and reports the throughput.
/// </summary>
internal static class EmbedCommand
{
    /// <summary>Creates the command; it writes to the invocation's output and error writers.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "minilm (default, built in), arctic-xs (built in), a local sentence-transformers ONNX folder, " +
                          "openai:MODEL (endpoint from $BITSIEVE_EMBEDDINGS_URL, else OpenAI) or http(s)://BASE#MODEL. " +
                          "HTTP keys come from $BITSIEVE_EMBEDDINGS_KEY or $OPENAI_API_KEY.",
            DefaultValueFactory = _ => EmbeddingModels.Default,
            HelpName = "NAME|PATH",
        };
        var query = new Option<bool>("--query") { Description = "Embed the text as a search query (adds the model's query prefix, e.g. Arctic-xs's)." };
        var textFile = new Option<string?>("--text-file") { Description = "Read the text from this file (UTF-8) instead of the argument.", HelpName = "F" };
        var json = new Option<bool>("--json") { Description = "Print {\"model\":…,\"dimensions\":…,\"vector\":[…]} as the last line of stdout." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Word pieces per text including [CLS]/[SEP] (ONNX models); default: the model's trained limit (MiniLM 256, Arctic-xs 512).", HelpName = "N" };
        var cache = new Option<bool>("--cache") { Description = "Use the shared embedding cache ($BITSIEVE_CACHE_DIR, else $XDG_CACHE_HOME/bitsieve or ~/.cache/bitsieve)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Texts per model run (ONNX) or request (HTTP); default 16 (ONNX), 64 (HTTP).", HelpName = "N" };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads; default: the processor count.", HelpName = "N" };
        var jsonl = new Option<string?>("--jsonl") { Description = "Batch mode: embed the \"text\" field of every line of this JSON Lines file and print the throughput on stderr.", HelpName = "F.jsonl" };
        var limit = new Option<int?>("--limit") { Description = "Batch mode: only the first N lines.", HelpName = "N" };
        var fvecsOut = new Option<string?>("--fvecs-out") { Description = "Batch mode: write the vectors, one row per line, as TexMex fvecs.", HelpName = "OUT.fvecs" };
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var text = new Argument<string?>("text") { Description = "The text to embed (put -- before it when it starts with '-').", Arity = ArgumentArity.ZeroOrOne };

        var command = new Command("embed", "Print the embedding of a text.")
        {
            model, query, textFile, json, maxTokens, batchSize, threads, cache, precision, plan, jsonl, limit, fvecsOut, text,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var settings = new ModelSettings(
                parseResult.GetValue(model) ?? EmbeddingModels.Default,
                parseResult.GetValue(query),
                parseResult.GetValue(maxTokens),
                parseResult.GetValue(batchSize),
                parseResult.GetValue(threads),
                parseResult.GetValue(cache),
                parseResult.GetValue(precision) ?? PrecisionChoice.Auto,
                parseResult.GetValue(plan));
            if (parseResult.GetValue(jsonl) is { } batchFile)
            {
                bool singleTextOptions = parseResult.GetValue(text) is not null || parseResult.GetValue(textFile) is not null || parseResult.GetValue(json);
                return await ExecuteBatchAsync(settings, batchFile, parseResult.GetValue(limit), parseResult.GetValue(fvecsOut), singleTextOptions, error, cancellationToken).ConfigureAwait(false);
            }

            if (parseResult.GetValue(limit) is not null || parseResult.GetValue(fvecsOut) is not null)
                return Fail(error, "--limit and --fvecs-out need --jsonl");
            return await ExecuteAsync(settings, parseResult.GetValue(text), parseResult.GetValue(textFile), parseResult.GetValue(json),
                parseResult.InvocationConfiguration.Output, error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The model and how to run it, as the options give them.</summary>
    private sealed record ModelSettings(string Name, bool IsQuery, int? MaxTokens, int? BatchSize, int? Threads, bool UseCache, string Precision, string? PlanPath)
    {
        public void Validate()
        {
            if (MaxTokens is < 2) throw new UsageException("--max-tokens must be at least 2");
            if (BatchSize is < 1) throw new UsageException("--batch-size must be positive");
            if (Threads is < 1) throw new UsageException("--threads must be positive");
        }

        /// <summary>The generator; an int8 model's rewritten bytes are kept beside the embedding cache (whether or not --cache is on).</summary>
        public IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(EmbeddingCache? cache)
        {
            var quantization = PrecisionChoice.Resolve(Precision, PlanPath, Name);
            return EmbeddingModels.Create(Name, new EmbeddingModelOptions
            {
                MaximumTokens = MaxTokens, BatchSize = BatchSize, IntraOpThreads = Threads, Cache = cache,
                Quantization = quantization, RewrittenModelDirectory = quantization is null ? null : EmbeddingCache.DefaultDirectory(),
            });
        }

        public EmbeddingGenerationOptions? GenerationOptions => IsQuery ? EmbeddingInput.ForQuery() : null;
    }

    private static async Task<int> ExecuteAsync(ModelSettings settings, string? text, string? textFile, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            if (text is not null && textFile is not null) throw new UsageException("give the text either as the argument or with --text-file, not both");
            if (textFile is not null)
            {
                if (!File.Exists(textFile)) throw new UsageException($"text file not found: {Path.GetFullPath(textFile)}");
                text = File.ReadAllText(textFile, Encoding.UTF8);
            }
            if (text is null) throw new UsageException("no text: give it as the argument or with --text-file");
            settings.Validate();

            var stopwatch = Stopwatch.StartNew();
            using var embeddingCache = settings.UseCache ? EmbeddingCache.Open() : null;
            using var generator = settings.CreateGenerator(embeddingCache);
            var embedding = (await generator.GenerateAsync([text], settings.GenerationOptions, cancellationToken).ConfigureAwait(false))[0];
            var vector = embedding.Vector.Span;

            if (json)
            {
                output.WriteLine(ToJson(settings.Name, vector));
            }
            else
            {
                var line = new StringBuilder(vector.Length * 12);
                for (int i = 0; i < vector.Length; i++)
                {
                    if (i > 0) line.Append(' ');
                    line.Append(vector[i].ToString("R", CultureInfo.InvariantCulture));
                }
                output.WriteLine(line.ToString());
            }

            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bitsieve embed: {settings.Name}, {vector.Length} dimensions{(settings.IsQuery ? ", as a query" : "")}, {stopwatch.Elapsed.TotalMilliseconds:0} ms"));
            output.Flush();
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidDataException or NotSupportedException)
        {
            return Fail(error, e.Message);
        }
        catch (EmbeddingServiceException e)
        {
            error.WriteLine($"bitsieve embed: error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("bitsieve embed: cancelled");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>
    /// Batch mode: embeds the <c>text</c> of each JSON line, optionally writes fvecs, and reports texts/s and word
    /// pieces/s (the model load is timed apart).
    /// </summary>
    private static async Task<int> ExecuteBatchAsync(ModelSettings settings, string file, int? limit, string? fvecsOut, bool singleTextOptions, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            if (singleTextOptions) throw new UsageException("--jsonl takes no text argument, --text-file or --json");
            if (!File.Exists(file)) throw new UsageException($"JSON Lines file not found: {Path.GetFullPath(file)}");
            if (limit is < 1) throw new UsageException("--limit must be positive");
            settings.Validate();
            var texts = new List<string>();
            int lineNumber = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                if (line.Length == 0) continue;
                if (texts.Count == limit) break;
                try
                {
                    using var document = JsonDocument.Parse(line);
                    texts.Add(document.RootElement.GetProperty("text").GetString() ?? throw new InvalidDataException("null text"));
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException)
                {
                    throw new UsageException($"{file} line {lineNumber}: not a JSON object with a string \"text\" ({e.Message})");
                }
            }

            var load = Stopwatch.StartNew();
            using var embeddingCache = settings.UseCache ? EmbeddingCache.Open() : null;
            using var generator = settings.CreateGenerator(embeddingCache);
            generator.GetService<OnnxEmbeddingGenerator>()?.Load(); // an ONNX model otherwise loads inside the timed run
            load.Stop();

            var run = Stopwatch.StartNew();
            var generated = await generator.GenerateAsync(texts, settings.GenerationOptions, cancellationToken).ConfigureAwait(false);
            run.Stop();

            int dimensions = generated.Count > 0 ? generated[0].Vector.Length : 0;
            if (fvecsOut is not null && dimensions > 0)
            {
                var data = new float[generated.Count * dimensions];
                for (int i = 0; i < generated.Count; i++) generated[i].Vector.Span.CopyTo(data.AsSpan(i * dimensions));
                VecsFile.WriteFvecs(fvecsOut, data, dimensions);
            }

            double seconds = Math.Max(run.Elapsed.TotalSeconds, 1e-9);
            long tokens = generated.Usage?.InputTokenCount ?? 0;
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bitsieve embed: {settings.Name}, {texts.Count} texts, {tokens} word pieces in {seconds:0.00} s: " +
                $"{texts.Count / seconds:0.0} texts/s, {tokens / seconds:0} word pieces/s (model load {load.Elapsed.TotalSeconds:0.00} s, {Environment.ProcessorCount} processors)"));
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidDataException or NotSupportedException)
        {
            return Fail(error, e.Message);
        }
        catch (EmbeddingServiceException e)
        {
            error.WriteLine($"bitsieve embed: error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("bitsieve embed: cancelled");
            return ExitCodes.Cancelled;
        }
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"bitsieve embed: error: {message}");
        return ExitCodes.Usage;
    }

    /// <summary>The <c>--json</c> line: <c>{"model":…,"dimensions":…,"vector":[…]}</c>, floats in shortest round-trip form.</summary>
    public static string ToJson(string model, ReadOnlySpan<float> vector)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WriteNumber("dimensions", vector.Length);
            writer.WriteStartArray("vector");
            foreach (float x in vector) writer.WriteNumberValue(x);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
