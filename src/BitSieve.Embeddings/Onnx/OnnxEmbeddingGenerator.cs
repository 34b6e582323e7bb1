using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;

namespace BitSieve.Embeddings.Onnx;

/// <summary>
/// A BERT-family sentence encoder run by ONNX Runtime on the CPU: WordPiece tokenization, the encoder, mean or CLS
/// pooling, L2 normalization. Inputs <c>input_ids</c>, <c>attention_mask</c> and (when the model has it)
/// <c>token_type_ids</c>, int64 <c>[batch, seq]</c>; output <c>last_hidden_state</c> <c>[batch, seq, dim]</c>.
/// </summary>
/// <remarks>
/// Texts are sorted by token count and cut into batches of <see cref="OnnxEmbeddingOptions.BatchSize"/>, each padded to
/// its own longest text, so little work is spent on padding. The work runs on the calling thread (ONNX Runtime spreads
/// each operator over <see cref="OnnxEmbeddingOptions.IntraOpThreads"/> threads); the returned task is already
/// complete. Safe to call from several threads at once.
/// <para>
/// The model is loaded (its bytes read, the tokenizer built, the ONNX Runtime session created: about a second for
/// MiniLM) when it first has to run, not when the generator is created: behind a warm
/// <see cref="Caching.CachedEmbeddingGenerator"/> it may never run at all. <see cref="Info"/> needs no load for the
/// built-in models, whose content hash and dimensions are known up front and checked when the model loads; a local
/// model is loaded at creation to learn its dimensions.
/// </para>
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Lazy<LoadedModel> _model;
    private readonly int _batchSize;
    private readonly EmbeddingGeneratorMetadata _metadata;

    internal OnnxEmbeddingGenerator(OnnxModelSource source, OnnxEmbeddingOptions options)
    {
        int maximumTokens = options.MaximumTokens ?? source.MaximumTokens;
        if (maximumTokens < 2) throw new ArgumentOutOfRangeException(nameof(options), maximumTokens, "MaximumTokens must leave room for [CLS] and [SEP] (at least 2).");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive.");
        int threads = options.IntraOpThreads is > 0 and int t ? t : Environment.ProcessorCount;

        _batchSize = options.BatchSize;
        MaximumTokens = maximumTokens;
        Pooling = options.Pooling ?? source.Pooling;
        Normalize = options.Normalize;
        IntraOpThreads = threads;
        var pooling = Pooling;
        bool normalize = Normalize;
        var quantization = options.Quantization;
        string? rewrittenModels = options.RewrittenModelDirectory;
        _model = new Lazy<LoadedModel>(() => LoadedModel.Load(source, threads, maximumTokens, pooling, normalize, quantization, rewrittenModels), LazyThreadSafetyMode.ExecutionAndPublication);

        // Without a length known up front, the model is loaded now to learn it.
        int dimensions = source.Dimensions ?? _model.Value.Dimensions;
        string identity = $"onnx:{source.ContentHash}:{(source.Lowercase ? "lower" : "cased")}:{Pooling.ToString().ToLowerInvariant()}:{maximumTokens}:{(Normalize ? "l2" : "raw")}" +
            (quantization is null ? "" : $":int8v{Quantization.Int8Rewriter.Version}-{quantization.Key}");
        Info = new EmbeddingModelInfo(source.Name, identity, dimensions,
            options.QueryPrefix ?? source.QueryPrefix, options.DocumentPrefix ?? source.DocumentPrefix)
        {
            Language = source.Language,
        };
        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", null, source.Name, dimensions);
    }

    /// <summary>
    /// A built-in model, <see cref="BuiltInModels.MiniLm"/> or <see cref="BuiltInModels.ArcticXs"/>, from the package
    /// DLL copied next to the application (located now, read when the model first runs).
    /// </summary>
    public static OnnxEmbeddingGenerator LoadBuiltIn(string name, OnnxEmbeddingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new OnnxEmbeddingGenerator(BuiltInModels.Load(name), options ?? new OnnxEmbeddingOptions());
    }

    /// <summary>
    /// Loads a sentence-transformers ONNX export from a folder (or its <c>.onnx</c> file): <c>model.onnx</c> (or
    /// <c>onnx/model.onnx</c>) and <c>vocab.txt</c> or <c>tokenizer.json</c>; pooling from <c>1_Pooling/config.json</c>
    /// when present. A path that does not exist throws <see cref="FileNotFoundException"/> naming it.
    /// </summary>
    public static OnnxEmbeddingGenerator LoadFromPath(string path, OnnxEmbeddingOptions? options = null) =>
        new(LocalModel.Load(path), options ?? new OnnxEmbeddingOptions());

    /// <summary>The model's name, identity (for caches), dimensions and prefixes.</summary>
    public EmbeddingModelInfo Info { get; }

    /// <summary>Word pieces per text, <c>[CLS]</c> and <c>[SEP]</c> included; longer texts are cut.</summary>
    public int MaximumTokens { get; }

    /// <summary>The pooling in use.</summary>
    public Pooling Pooling { get; }

    /// <summary>Whether vectors are scaled to unit length.</summary>
    public bool Normalize { get; }

    /// <summary>ONNX Runtime's intra-op threads.</summary>
    public int IntraOpThreads { get; }

    /// <summary>Number of word pieces the model sees for <paramref name="text"/> (after any cut), <c>[CLS]</c>/<c>[SEP]</c> included.</summary>
    public int CountTokens(string text, bool isQuery = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _model.Value.Tokenizer.Encode(Info.Prepare(text, isQuery), MaximumTokens).Length;
    }

    /// <summary>The tokenizer, for tests and diagnostics (loads the model).</summary>
    internal WordPieceTokenizer Tokenizer => _model.Value.Tokenizer;

    /// <summary>
    /// Loads the model now if it is not loaded yet (it otherwise loads on its first run), e.g. to keep the load out of
    /// a timed run or to fail early on a model ONNX Runtime cannot read.
    /// </summary>
    public void Load() => _ = _model.Value;

    /// <summary>Whether the model has been loaded (it is on its first run, or on creation when its dimensions were unknown).</summary>
    internal bool IsLoaded => _model.IsValueCreated;

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var vectors = Embed(texts, EmbeddingInput.IsQuery(options), out long tokens, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length)
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
        foreach (var vector in vectors)
            result.Add(new Embedding<float>(vector) { ModelId = Info.Name, CreatedAt = now });
        return Task.FromResult(result);
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> synchronously; <paramref name="isQuery"/> applies the query prefix. Returns one
    /// vector per text, in order; <paramref name="tokenCount"/> is the number of word pieces encoded.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, bool isQuery, out long tokenCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokenized = new long[texts.Count][];
        tokenCount = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
            tokenized[i] = Tokenizer.Encode(Info.Prepare(text, isQuery), MaximumTokens);
            tokenCount += tokenized[i].Length;
        }

        return EmbedTokenized(tokenized, cancellationToken);
    }

    /// <summary>Embeds texts already turned into token ids (<c>[CLS]</c> … <c>[SEP]</c>), one vector each, in order.</summary>
    internal float[][] EmbedTokenized(IReadOnlyList<long[]> tokenized, CancellationToken cancellationToken = default)
    {
        var model = _model.Value;
        // Shortest first, so each batch pads to a length close to all of its texts.
        var order = Enumerable.Range(0, tokenized.Count).OrderBy(i => tokenized[i].Length).ToArray();
        var result = new float[tokenized.Count][];
        var batch = new List<long[]>(_batchSize);
        for (int start = 0; start < order.Length; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_batchSize, order.Length - start);
            batch.Clear();
            for (int j = 0; j < count; j++) batch.Add(tokenized[order[start + j]]);
            var vectors = model.RunBatch(batch);
            for (int j = 0; j < count; j++) result[order[start + j]] = vectors[j];
        }

        return result;
    }

    internal static void L2Normalize(Span<float> vector)
    {
        double squares = 0;
        foreach (float x in vector) squares += (double)x * x;
        if (squares == 0) return;
        // Same floor as torch.nn.functional.normalize (eps = 1e-12 on the norm).
        double scale = 1 / Math.Max(Math.Sqrt(squares), 1e-12);
        for (int i = 0; i < vector.Length; i++) vector[i] = (float)(vector[i] * scale);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(EmbeddingModelInfo)) return Info;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_model.IsValueCreated) _model.Value.Dispose();
    }

    /// <summary>The model loaded to run: tokenizer, ONNX Runtime session and the pooling applied to its output.</summary>
    private sealed class LoadedModel : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private readonly bool _pooledOutput;
        private readonly Pooling _pooling;
        private readonly bool _normalize;

        private LoadedModel(WordPieceTokenizer tokenizer, InferenceSession session, string[] inputNames, string[] outputNames, bool pooledOutput, Pooling pooling, bool normalize)
        {
            Tokenizer = tokenizer;
            _session = session;
            _inputNames = inputNames;
            _outputNames = outputNames;
            _pooledOutput = pooledOutput;
            _pooling = pooling;
            _normalize = normalize;
        }

        public WordPieceTokenizer Tokenizer { get; }

        /// <summary>Length of the vectors.</summary>
        public int Dimensions { get; private set; }

        /// <summary>Reads the bytes (checking them against the source's content hash), builds the tokenizer, creates the session.</summary>
        public static LoadedModel Load(OnnxModelSource source, int threads, int maximumTokens, Pooling pooling, bool normalize,
            Quantization.QuantizationPlan? quantization, string? rewrittenModels)
        {
            var bytes = source.ReadBytes();
            string contentHash = bytes.ContentHash();
            if (contentHash != source.ContentHash)
            {
                // Vectors of other bytes under this identity would poison every cache that stores them.
                throw new InvalidDataException(
                    $"The model {source.Name} is not the one expected: its model and tokenizer bytes hash to {contentHash}, not {source.ContentHash}.");
            }

            var tokenizer = source.Format == TokenizerFormat.Vocabulary
                ? WordPieceTokenizer.FromVocabulary(bytes.Tokenizer, source.Lowercase)
                : WordPieceTokenizer.FromTokenizerJson(bytes.Tokenizer, source.Name);

            InferenceSession session;
            using (var sessionOptions = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            })
            {
                try
                {
                    var model = quantization is null
                        ? bytes.Model
                        : Quantization.RewrittenModelCache.GetOrRewrite(bytes.Model, contentHash, quantization, rewrittenModels);
                    session = new InferenceSession(model, sessionOptions);
                }
                catch (OnnxRuntimeException e)
                {
                    throw new InvalidDataException($"ONNX Runtime cannot load the model {source.Name}: {e.Message}", e);
                }
            }

            try
            {
                var inputs = session.InputMetadata;
                foreach (var required in (string[])["input_ids", "attention_mask"])
                {
                    if (!inputs.ContainsKey(required))
                        throw new InvalidDataException($"The model {source.Name} has no '{required}' input (it has: {string.Join(", ", inputs.Keys)}); a BERT-family encoder is expected.");
                }
                string[] inputNames = inputs.ContainsKey("token_type_ids") ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];

                // Token vectors to pool: last_hidden_state (Hugging Face export) or token_embeddings (sentence-transformers
                // export); a model whose only output is already [batch, dim] is used as it is.
                var outputs = session.OutputMetadata;
                string output = new[] { "last_hidden_state", "token_embeddings" }.FirstOrDefault(outputs.ContainsKey)
                    ?? outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3).Key
                    ?? outputs.First().Key;
                var dims = outputs[output].Dimensions;
                var model = new LoadedModel(tokenizer, session, inputNames, [output], pooledOutput: dims.Length == 2, pooling, normalize);
                // A dynamic last axis: learn it from one tiny run.
                model.Dimensions = dims[^1] > 0 ? dims[^1] : model.RunBatch([tokenizer.Encode("a", maximumTokens)])[0].Length;
                if (source.Dimensions is { } expected && expected != model.Dimensions)
                    throw new InvalidDataException($"The model {source.Name} makes {model.Dimensions}-dimensional vectors, not the {expected} expected.");
                return model;
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }

        /// <summary>Runs the encoder on one padded batch and pools each row.</summary>
        public float[][] RunBatch(List<long[]> batch)
        {
            int rows = batch.Count;
            int seq = 0;
            foreach (var ids in batch) seq = Math.Max(seq, ids.Length);

            var inputIds = new long[rows * seq];
            var attention = new long[rows * seq];
            var tokenTypes = new long[rows * seq];
            for (int r = 0; r < rows; r++)
            {
                // Padding keeps id 0 ([PAD] in BERT vocabularies) and mask 0: padded positions take no part in attention or pooling.
                batch[r].CopyTo(inputIds, r * seq);
                attention.AsSpan(r * seq, batch[r].Length).Fill(1);
            }

            long[] shape = [rows, seq];
            using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(attention, shape);
            using var typesValue = OrtValue.CreateTensorValueFromMemory(tokenTypes, shape);
            OrtValue[] inputs = _inputNames.Length == 3 ? [idsValue, maskValue, typesValue] : [idsValue, maskValue];
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, _inputNames, inputs, _outputNames);
            var output = outputs[0];
            var hidden = output.GetTensorDataAsSpan<float>();
            var outputShape = output.GetTensorTypeAndShape().Shape;
            int dim = (int)outputShape[^1];

            var result = new float[rows][];
            for (int r = 0; r < rows; r++)
            {
                var vector = new float[dim];
                if (_pooledOutput)
                {
                    hidden.Slice(r * dim, dim).CopyTo(vector);
                }
                else if (_pooling == Pooling.Cls)
                {
                    hidden.Slice(r * seq * dim, dim).CopyTo(vector);
                }
                else
                {
                    // Mean over the tokens the attention mask keeps: v = Σ_t m_t·h_t / Σ_t m_t (accumulated in double).
                    int tokens = batch[r].Length;
                    var sum = new double[dim];
                    for (int t = 0; t < tokens; t++)
                    {
                        var row = hidden.Slice((r * seq + t) * dim, dim);
                        for (int d = 0; d < dim; d++) sum[d] += row[d];
                    }
                    for (int d = 0; d < dim; d++) vector[d] = (float)(sum[d] / tokens);
                }

                if (_normalize) L2Normalize(vector);
                result[r] = vector;
            }

            Debug.Assert(result.All(v => v.Length == dim));
            return result;
        }

        public void Dispose() => _session.Dispose();
    }
}
