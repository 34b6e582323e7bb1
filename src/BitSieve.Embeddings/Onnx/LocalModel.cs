using System.Text.Json;

namespace BitSieve.Embeddings.Onnx;

/// <summary>
/// Reads a sentence-transformers model exported to ONNX from a local folder (or its <c>.onnx</c> file): the model at
/// <c>model.onnx</c> or <c>onnx/model.onnx</c>; the tokenizer from <c>vocab.txt</c> (lowercasing per
/// <c>tokenizer_config.json</c>'s <c>do_lower_case</c>, default on) or <c>tokenizer.json</c>; pooling from
/// <c>1_Pooling/config.json</c> (mean when absent); the token limit from <c>sentence_bert_config.json</c>'s
/// <c>max_seq_length</c> (else <c>config.json</c>'s <c>max_position_embeddings</c>, else 512); query and document
/// prefixes from <c>config_sentence_transformers.json</c>'s <c>prompts</c>.
/// </summary>
internal static class LocalModel
{
    public static OnnxModelSource Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(ExpandHome(path));
        string modelFile;
        string root;
        if (File.Exists(full))
        {
            modelFile = full;
            root = Path.GetDirectoryName(full)!;
        }
        else if (Directory.Exists(full))
        {
            root = full;
            modelFile = new[] { Path.Combine(full, "model.onnx"), Path.Combine(full, "onnx", "model.onnx") }
                .FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"Embedding model folder {full} has no model.onnx (nor onnx/model.onnx).", Path.Combine(full, "model.onnx"));
        }
        else
        {
            throw new FileNotFoundException($"Embedding model path not found: {full}", full);
        }

        // Tokenizer and configuration files sit in the model's folder or, for an export under onnx/, one level up.
        var folders = new List<string> { Path.GetDirectoryName(modelFile)! };
        if (!folders.Contains(root)) folders.Add(root);
        if (Path.GetFileName(folders[0]) == "onnx" && Path.GetDirectoryName(folders[0]) is { } parent && !folders.Contains(parent)) folders.Add(parent);

        string? Find(string relative) => folders.Select(f => Path.Combine(f, relative)).FirstOrDefault(File.Exists);

        byte[] tokenizer;
        TokenizerFormat format;
        bool lowercase = true;
        if (Find("vocab.txt") is { } vocab)
        {
            tokenizer = File.ReadAllBytes(vocab);
            format = TokenizerFormat.Vocabulary;
            if (ReadJson(Find("tokenizer_config.json")) is { } tokenizerConfig
                && tokenizerConfig.TryGetProperty("do_lower_case", out var lower)
                && lower.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                lowercase = lower.GetBoolean();
            }
        }
        else if (Find("tokenizer.json") is { } json)
        {
            tokenizer = File.ReadAllBytes(json);
            format = TokenizerFormat.TokenizerJson;
        }
        else
        {
            throw new FileNotFoundException($"Embedding model folder {root} has neither vocab.txt nor tokenizer.json.", Path.Combine(root, "vocab.txt"));
        }

        var pooling = Pooling.Mean;
        if (ReadJson(Find(Path.Combine("1_Pooling", "config.json"))) is { } poolingConfig)
        {
            if (IsTrue(poolingConfig, "pooling_mode_cls_token")) pooling = Pooling.Cls;
            else if (IsTrue(poolingConfig, "pooling_mode_mean_tokens")) pooling = Pooling.Mean;
            else throw new NotSupportedException($"{root}: only mean and CLS pooling are supported (see 1_Pooling/config.json).");
        }

        int maximumTokens = 512;
        if (ReadJson(Find("sentence_bert_config.json")) is { } sbert && sbert.TryGetProperty("max_seq_length", out var seq) && seq.TryGetInt32(out int s) && s > 1)
            maximumTokens = s;
        else if (ReadJson(Find("config.json")) is { } config && config.TryGetProperty("max_position_embeddings", out var pos) && pos.TryGetInt32(out int p) && p > 1)
            maximumTokens = p;

        string queryPrefix = "", documentPrefix = "";
        if (ReadJson(Find("config_sentence_transformers.json")) is { } st && st.TryGetProperty("prompts", out var prompts) && prompts.ValueKind == JsonValueKind.Object)
        {
            queryPrefix = StringProperty(prompts, "query") ?? "";
            documentPrefix = StringProperty(prompts, "document") ?? StringProperty(prompts, "passage") ?? "";
        }

        // The bytes are hashed for the cache identity now and kept for the session; the vector length is only known
        // once the model is loaded.
        var bytes = new OnnxModelBytes(File.ReadAllBytes(modelFile), tokenizer);
        return new OnnxModelSource(full, bytes.ContentHash(), Dimensions: null, () => bytes,
            format, lowercase, pooling, maximumTokens, queryPrefix, documentPrefix);
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;

    private static JsonElement? ReadJson(string? file)
    {
        if (file is null) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not valid JSON: {e.Message}", e);
        }
    }

    private static bool IsTrue(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
