using System.Text;
using System.Text.Json;
using BitSieve.Embeddings.Onnx;

namespace BitSieve.Embeddings.Tests;

/// <summary>Models from a local folder: the built-in MiniLM's bytes written out as a sentence-transformers export.</summary>
[Collection(ModelCollection.Name)]
public sealed class LocalModelTests(ModelFixture models) : IDisposable
{
    private static readonly string[] Texts = ["Sockets are endpoints of a connection.", "apt-get upgrade installs newer versions of packages."];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteMiniLm(string folder, bool vocabulary = true, bool tokenizerJson = false, string? pooling = null)
    {
        var source = BuiltInModels.Load(BuiltInModels.MiniLm).ReadBytes();
        string path = Path.Combine(_dir.Path, folder);
        Directory.CreateDirectory(path);
        File.WriteAllBytes(Path.Combine(path, "model.onnx"), source.Model);
        if (vocabulary) File.WriteAllBytes(Path.Combine(path, "vocab.txt"), source.Tokenizer);
        if (tokenizerJson) File.WriteAllText(Path.Combine(path, "tokenizer.json"), TokenizerJson(source.Tokenizer));
        if (pooling is not null)
        {
            Directory.CreateDirectory(Path.Combine(path, "1_Pooling"));
            File.WriteAllText(Path.Combine(path, "1_Pooling", "config.json"),
                $$"""{"word_embedding_dimension": 384, "pooling_mode_cls_token": {{(pooling == "cls" ? "true" : "false")}}, "pooling_mode_mean_tokens": {{(pooling == "mean" ? "true" : "false")}}}""");
        }
        File.WriteAllText(Path.Combine(path, "sentence_bert_config.json"), """{"max_seq_length": 256, "do_lower_case": false}""");
        return path;
    }

    [Fact]
    public async Task A_folder_with_model_onnx_and_vocab_txt_gives_the_built_in_vectors()
    {
        string path = WriteMiniLm("minilm-copy", pooling: "mean");
        using var local = (OnnxEmbeddingGenerator)EmbeddingModels.Create(path);
        var fromFolder = await local.GenerateAsync(Texts);
        var builtIn = await models.MiniLm.GenerateAsync(Texts);

        Assert.Equal(Path.GetFullPath(path), local.Info.Name);
        Assert.Equal(Pooling.Mean, local.Pooling);
        Assert.Equal(256, local.MaximumTokens);
        // Same bytes, same settings: the same cache identity as the built-in model.
        Assert.Equal(models.MiniLm.Info.Identity, local.Info.Identity);
        Assert.Null(local.Info.Language); // a local folder does not say which languages its model knows
        Assert.True(local.IsLoaded); // loaded at creation: its dimensions are only known from the session
        for (int i = 0; i < Texts.Length; i++)
            Assert.Equal(builtIn[i].Vector.ToArray(), fromFolder[i].Vector.ToArray());
    }

    [Fact]
    public void Pooling_comes_from_1_Pooling_config_json()
    {
        string path = WriteMiniLm("minilm-cls", pooling: "cls");
        using var local = OnnxEmbeddingGenerator.LoadFromPath(Path.Combine(path, "model.onnx"));
        Assert.Equal(Pooling.Cls, local.Pooling);

        using var overridden = OnnxEmbeddingGenerator.LoadFromPath(path, new OnnxEmbeddingOptions { Pooling = Pooling.Mean, MaximumTokens = 128 });
        Assert.Equal(Pooling.Mean, overridden.Pooling);
        Assert.Equal(128, overridden.MaximumTokens);
    }

    [Fact]
    public async Task A_tokenizer_json_works_like_vocab_txt()
    {
        string path = WriteMiniLm("minilm-json", vocabulary: false, tokenizerJson: true);
        using var local = OnnxEmbeddingGenerator.LoadFromPath(path);
        var fromJson = await local.GenerateAsync(Texts);
        var builtIn = await models.MiniLm.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++)
            Assert.True(Similarity.Cosine(builtIn[i].Vector.Span, fromJson[i].Vector.Span) > 0.99999, $"text {i}");
    }

    [Fact]
    public void A_missing_path_is_an_error_naming_it()
    {
        string missing = Path.Combine(_dir.Path, "no-such-model");
        var e = Assert.Throws<FileNotFoundException>(() => EmbeddingModels.Create(missing));
        Assert.Equal(missing, e.FileName);
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<FileNotFoundException>(() => EmbeddingModels.Create("no-such-model-name"));
        Assert.Contains("no-such-model-name", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("minilm", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_a_model_or_tokenizer_is_an_error_naming_it()
    {
        string empty = Path.Combine(_dir.Path, "empty");
        Directory.CreateDirectory(empty);
        var noModel = Assert.Throws<FileNotFoundException>(() => OnnxEmbeddingGenerator.LoadFromPath(empty));
        Assert.Contains(empty, noModel.Message, StringComparison.Ordinal);
        Assert.Contains("model.onnx", noModel.Message, StringComparison.Ordinal);

        string path = WriteMiniLm("no-tokenizer", vocabulary: false);
        var noTokenizer = Assert.Throws<FileNotFoundException>(() => OnnxEmbeddingGenerator.LoadFromPath(path));
        Assert.Contains("vocab.txt", noTokenizer.Message, StringComparison.Ordinal);
    }

    /// <summary>A Hugging Face tokenizer.json for an uncased BERT WordPiece vocabulary.</summary>
    private static string TokenizerJson(byte[] vocabularyBytes)
    {
        var pieces = Encoding.UTF8.GetString(vocabularyBytes).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            json.WriteStartArray("added_tokens");
            foreach (var special in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
            {
                json.WriteStartObject();
                json.WriteNumber("id", Array.IndexOf(pieces, special));
                json.WriteString("content", special);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("normalizer");
            json.WriteString("type", "BertNormalizer");
            json.WriteBoolean("clean_text", true);
            json.WriteBoolean("handle_chinese_chars", true);
            json.WriteNull("strip_accents");
            json.WriteBoolean("lowercase", true);
            json.WriteEndObject();
            json.WriteStartObject("pre_tokenizer");
            json.WriteString("type", "BertPreTokenizer");
            json.WriteEndObject();
            json.WriteStartObject("post_processor");
            json.WriteString("type", "TemplateProcessing");
            json.WriteStartArray("single");
            WriteTemplatePiece(json, "SpecialToken", "[CLS]");
            WriteTemplatePiece(json, "Sequence", "A");
            WriteTemplatePiece(json, "SpecialToken", "[SEP]");
            json.WriteEndArray();
            json.WriteStartArray("pair");
            WriteTemplatePiece(json, "SpecialToken", "[CLS]");
            WriteTemplatePiece(json, "Sequence", "A");
            WriteTemplatePiece(json, "SpecialToken", "[SEP]");
            WriteTemplatePiece(json, "Sequence", "B");
            WriteTemplatePiece(json, "SpecialToken", "[SEP]");
            json.WriteEndArray();
            json.WriteStartObject("special_tokens");
            foreach (var special in new[] { "[CLS]", "[SEP]" })
            {
                json.WriteStartObject(special);
                json.WriteString("id", special);
                json.WriteStartArray("ids");
                json.WriteNumberValue(Array.IndexOf(pieces, special));
                json.WriteEndArray();
                json.WriteStartArray("tokens");
                json.WriteStringValue(special);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("decoder");
            json.WriteString("type", "WordPiece");
            json.WriteString("prefix", "##");
            json.WriteBoolean("cleanup", true);
            json.WriteEndObject();
            json.WriteStartObject("model");
            json.WriteString("type", "WordPiece");
            json.WriteString("unk_token", "[UNK]");
            json.WriteString("continuing_subword_prefix", "##");
            json.WriteNumber("max_input_chars_per_word", 100);
            json.WriteStartObject("vocab");
            for (int i = 0; i < pieces.Length; i++) json.WriteNumber(pieces[i], i);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteTemplatePiece(Utf8JsonWriter json, string kind, string id)
    {
        json.WriteStartObject();
        json.WriteStartObject(kind);
        json.WriteString("id", id);
        json.WriteNumber("type_id", 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
