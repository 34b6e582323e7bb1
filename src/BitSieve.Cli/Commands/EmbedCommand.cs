using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Caching;
using BitSieve.Embeddings.OpenAi;
using Microsoft.Extensions.AI;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve embed</c>: the embedding of one text, as the ingest pipeline and the server would compute it. Prints
/// the vector on stdout (one line of floats, or with <c>--json</c> one JSON object) and a summary on stderr.
/// </summary>
public static class EmbedCommand
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
        var text = new Argument<string?>("text") { Description = "The text to embed (put -- before it when it starts with '-').", Arity = ArgumentArity.ZeroOrOne };

        var command = new Command("embed", "Print the embedding of a text.")
        {
            model, query, textFile, json, maxTokens, cache, text,
        };

        command.SetAction(parseResult => Execute(
            parseResult.GetValue(model) ?? EmbeddingModels.Default,
            parseResult.GetValue(text),
            parseResult.GetValue(textFile),
            parseResult.GetValue(query),
            parseResult.GetValue(json),
            parseResult.GetValue(maxTokens),
            parseResult.GetValue(cache),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return command;
    }

    private static int Execute(
        string modelName, string? text, string? textFile, bool isQuery, bool json, int? maxTokens, bool useCache,
        TextWriter output, TextWriter error)
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
            if (maxTokens is < 2) throw new UsageException("--max-tokens must be at least 2");

            var stopwatch = Stopwatch.StartNew();
            using var embeddingCache = useCache ? EmbeddingCache.Open() : null;
            using var generator = CreateGenerator(modelName, maxTokens, embeddingCache);
            var options = isQuery ? EmbeddingInput.ForQuery() : null;
            var embedding = generator.GenerateAsync([text], options).GetAwaiter().GetResult()[0];
            var vector = embedding.Vector.Span;

            if (json)
            {
                output.WriteLine(ToJson(modelName, vector));
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
                $"bitsieve embed: {modelName}, {vector.Length} dimensions{(isQuery ? ", as a query" : "")}, {stopwatch.Elapsed.TotalMilliseconds:0} ms"));
            output.Flush();
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidDataException or NotSupportedException)
        {
            error.WriteLine($"bitsieve embed: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (EmbeddingServiceException e)
        {
            error.WriteLine($"bitsieve embed: error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(string modelName, int? maxTokens, EmbeddingCache? cache) =>
        EmbeddingModels.Create(modelName, new EmbeddingModelOptions { MaximumTokens = maxTokens, Cache = cache });

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
