using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>What quantizing one layer alone did to the final embeddings, and the layer's share of the work and of float32 time.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="MeanError">Mean over the calibration texts of 1 − cosine to the float32 embedding, in the form the plan quantizes it (smoothed or not).</param>
/// <param name="WorstError">Largest 1 − cosine over the calibration texts.</param>
/// <param name="WorkShare">
/// The layer's share of the candidate layers' multiply-adds (<see cref="WeightLayer.MultiplyAdds"/>): the weight the plan
/// is chosen by.
/// </param>
/// <param name="TimeShare">
/// The node's share of the summed kernel time of the float32 model, profiled by ONNX Runtime without graph optimizations
/// (so every node keeps its own name and time); printed as a check on <paramref name="WorkShare"/>, never chosen by.
/// </param>
/// <param name="Int8">Whether the plan puts it in int8.</param>
internal sealed record LayerMeasurement(WeightLayer Layer, double MeanError, double WorstError, double WorkShare, double TimeShare, bool Int8)
{
    /// <summary>Whether the layer is smoothed before it is quantized (the errors above are then the smoothed layer's).</summary>
    public bool Smoothed { get; init; }

    /// <summary>Mean error alone of the layer quantized without smoothing (null in plan files written before smoothing).</summary>
    public double? UnsmoothedMeanError { get; init; }
}

/// <summary>The per-layer table, the plan chosen, and how the plan and the uniform int8 model held on the held-out text.</summary>
internal sealed record PlanReport(IReadOnlyList<LayerMeasurement> Layers, PlanFile Plan, double UniformMeanCosine, double UniformWorstCosine, int CalibrationTexts, int HeldOutTexts);

/// <summary>
/// Measures each candidate layer of an ONNX sentence encoder alone in int8 on calibration text and picks, greedily, the
/// layers that can be int8 together within a quality target, spending the error where it buys the most work.
/// </summary>
/// <remarks>
/// The texts are split by position: even lines calibrate (every measurement the choice is made on), odd lines are held
/// out and only report how the chosen plan generalizes. Each layer is measured alone twice, as it is and smoothed
/// (<see cref="Int8Rewriter"/>, with its input's maxima on the calibration half, under the scale shared by every candidate
/// reading that input, as a plan smoothing them all applies: <see cref="SmoothedAlone"/>), and an activation is smoothed where its
/// readers' summed mean error alone is lower smoothed; the choice below then weighs each layer by its error in that form. Greedy knapsack: the errors of layers quantized together add up
/// nearly linearly, and what a layer in int8 saves is proportional to its multiply-adds, so layers are taken in order of
/// error alone per multiply-add (then by name), each added to the plan when the plan with it still keeps the mean cosine
/// to float32 on the calibration half ≥ target. The layers left in float32 are then the ones whose error is dearest per
/// unit of work: a cheap 384×384 product with a large error goes back to float32 before an expensive one with a slightly
/// larger error. The work (the shape) weighs the choice, not the profiled time: the shape is exact and the same on every
/// machine, while profiled shares moved by several points between runs on a loaded machine and would make the plan depend
/// on the load. Every step is a deterministic function of the model bytes and the texts (ties broken by name), so the
/// plan is too.
/// </remarks>
internal static class PrecisionPlanner
{
    /// <summary>Default quality target: mean cosine to the float32 embeddings.</summary>
    public const double DefaultTarget = 0.995;

    /// <summary>
    /// Measures <paramref name="model"/> (a built-in name or a local ONNX export) on <paramref name="texts"/> (at least 4);
    /// <paramref name="candidates"/> limits the layers considered (the rest stay float32); <paramref name="progress"/> gets
    /// a line per step; <paramref name="cancellationToken"/> stops it between batches.
    /// </summary>
    public static PlanReport Plan(string model, IReadOnlyList<string> texts, double target = DefaultTarget, int? threads = null,
        Func<WeightLayer, bool>? candidates = null, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count < 4) throw new ArgumentException($"Calibration needs at least 4 texts (half calibrate, half are held out); got {texts.Count}.", nameof(texts));
        if (target is <= 0 or > 1 || double.IsNaN(target)) throw new ArgumentOutOfRangeException(nameof(target), target, "The target is a mean cosine in (0, 1].");

        var source = BuiltInModels.IsBuiltIn(model) ? BuiltInModels.Load(model) : LocalModel.Load(model);
        var bytes = source.ReadBytes();
        // Every generator below reads these bytes instead of the DLL again; the content hash is still checked on load.
        source = source with { ReadBytes = () => bytes };
        var layers = Int8Rewriter.FindLayers(bytes.Model).Where(candidates ?? (_ => true)).ToList();
        var fit = texts.Where((_, i) => i % 2 == 0).ToArray();
        var heldOut = texts.Where((_, i) => i % 2 == 1).ToArray();

        float[][] Embed(QuantizationPlan? plan, string[] batch, OnnxModelSource? from = null)
        {
            using var generator = new OnnxEmbeddingGenerator(from ?? source, new OnnxEmbeddingOptions { Quantization = plan, IntraOpThreads = threads });
            return generator.Embed(batch, isQuery: false, out _, cancellationToken);
        }

        OnnxModelSource Rewritten(byte[] onnx)
        {
            var rewritten = bytes with { Model = onnx };
            return source with { ContentHash = rewritten.ContentHash(), ReadBytes = () => rewritten };
        }

        var referenceFit = Embed(null, fit);
        var referenceHeldOut = Embed(null, heldOut);
        var shares = TimeShares(source, bytes, fit, threads);
        var maxima = ActivationMaxima(source, bytes, layers, fit, threads);
        var readers = layers.ToLookup(l => maxima[l.Name].Input, StringComparer.Ordinal); // activation → the candidates reading it

        var plain = new Dictionary<string, (double Mean, double Worst)>(StringComparer.Ordinal);
        var smoothed = new Dictionary<string, (double Mean, double Worst)>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            plain[layer.Name] = Errors(referenceFit, Embed(QuantizationPlan.Of([layer.Name]), fit));
            var activation = readers[maxima[layer.Name].Input].ToDictionary(r => r.Name, r => maxima[r.Name].Maxima, StringComparer.Ordinal);
            smoothed[layer.Name] = Errors(referenceFit, Embed(null, fit, Rewritten(SmoothedAlone(bytes.Model, layer.Name, activation))));
            progress?.WriteLine($"  {layer.Name}: 1 - cos mean {plain[layer.Name].Mean:E2}, worst {plain[layer.Name].Worst:E2}; smoothed {smoothed[layer.Name].Mean:E2}, worst {smoothed[layer.Name].Worst:E2}");
        }
        // An activation is smoothed where that measured better: its readers' errors alone, summed, lower smoothed.
        var smoothing = readers
            .Where(g => g.Sum(l => smoothed[l.Name].Mean) < g.Sum(l => plain[l.Name].Mean))
            .SelectMany(g => g)
            .ToDictionary(l => l.Name, l => maxima[l.Name].Maxima, StringComparer.Ordinal);
        var alone = layers.Select(l => (Layer: l, Plain: plain[l.Name], Chosen: smoothing.ContainsKey(l.Name) ? smoothed[l.Name] : plain[l.Name])).ToList();

        var chosen = Choose(alone.Select(a => (a.Layer, a.Chosen.Mean)).ToList(),
            plan => 1 - Errors(referenceFit, Embed(QuantizationPlan.Of(plan, smoothing), fit)).Mean, target, progress);

        var plan = QuantizationPlan.Of(chosen, smoothing);
        var (planMean, planWorst) = Errors(referenceHeldOut, Embed(plan, heldOut));
        var (uniformMean, uniformWorst) = Errors(referenceHeldOut, Embed(QuantizationPlan.Uniform, heldOut));
        var chosenSet = chosen.ToHashSet(StringComparer.Ordinal);
        double work = layers.Sum(l => (double)l.MultiplyAdds);
        var table = alone.Select(a => new LayerMeasurement(a.Layer, a.Chosen.Mean, a.Chosen.Worst, a.Layer.MultiplyAdds / work,
            shares.GetValueOrDefault(a.Layer.Name), chosenSet.Contains(a.Layer.Name))
        {
            Smoothed = smoothing.ContainsKey(a.Layer.Name),
            UnsmoothedMeanError = a.Plain.Mean,
        }).ToList();
        var file = new PlanFile
        {
            Model = source.Name,
            SourceHash = source.ContentHash,
            Target = target,
            Int8Layers = plan.Layers,
            Smoothing = plan.Smoothing,
            HeldOutMeanCosine = 1 - planMean,
            HeldOutWorstCosine = 1 - planWorst,
            Measurements = table,
        };
        return new PlanReport(table, file, 1 - uniformMean, 1 - uniformWorst, fit.Length, heldOut.Length);
    }

    /// <summary>
    /// The model a layer's smoothed error alone is measured on: <paramref name="layer"/> in int8 under the smoothing scale a
    /// plan that smooths its activation applies to it. The rewriter gives the products reading one activation one scale
    /// (from the largest weight row over them, so Q, K and V share one), so every reader <paramref name="activation"/>
    /// names (layer → its input's maxima, this layer's own included) is smoothed, and all but this layer stay float32
    /// (smoothed, the same function).
    /// </summary>
    internal static byte[] SmoothedAlone(byte[] model, string layer, IReadOnlyDictionary<string, float[]> activation) =>
        Int8Rewriter.Rewrite(Int8Rewriter.Smooth(model, activation), [layer]);

    /// <summary>
    /// The greedy choice: <paramref name="alone"/> (each layer with its mean error alone) in order of error per
    /// multiply-add, then by name; each layer joins the plan when <paramref name="meanCosine"/> of the plan with it is
    /// still ≥ <paramref name="target"/>. Returns the layers chosen, in the order they joined.
    /// </summary>
    internal static List<string> Choose(IReadOnlyList<(WeightLayer Layer, double MeanError)> alone, Func<IReadOnlyList<string>, double> meanCosine,
        double target, TextWriter? progress = null)
    {
        var chosen = new List<string>();
        foreach (var (layer, _) in alone.OrderBy(a => a.MeanError / a.Layer.MultiplyAdds).ThenBy(a => a.Layer.Name, StringComparer.Ordinal))
        {
            double cosine = meanCosine([.. chosen, layer.Name]);
            bool keep = cosine >= target;
            if (keep) chosen.Add(layer.Name);
            progress?.WriteLine($"  + {layer.Name}: mean cosine {cosine:F5} {(keep ? "kept" : "left float32")}");
        }
        return chosen;
    }

    /// <summary>Mean and largest 1 − cosine of <paramref name="vectors"/> to <paramref name="reference"/>, row by row.</summary>
    internal static (double Mean, double Worst) Errors(float[][] reference, float[][] vectors)
    {
        double sum = 0, worst = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double error = 1 - Cosine(reference[i], vectors[i]);
            sum += error;
            worst = Math.Max(worst, error);
        }
        return (sum / reference.Length, worst);
    }

    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(aa * bb);
    }

    /// <summary>
    /// Each layer's input and its maxima for smoothing: the largest |X_k| of each channel k of the activation it multiplies, over
    /// the tokens of <paramref name="texts"/> (padding left out), in the float32 model.
    /// </summary>
    private static Dictionary<string, (string Input, float[] Maxima)> ActivationMaxima(OnnxModelSource source, OnnxModelBytes bytes, IReadOnlyList<WeightLayer> layers, string[] texts, int? threads)
    {
        var proto = ModelProto.Parser.ParseFrom(bytes.Model);
        var wanted = layers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal); // layer → the activation it reads
        foreach (var node in proto.Graph.Node)
        {
            string name = Int8Rewriter.NodeName(node);
            if (wanted.Contains(name)) inputs[name] = node.Input[0];
        }
        var outputs = proto.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string activation in inputs.Values.Distinct(StringComparer.Ordinal).Where(a => !outputs.Contains(a)))
        {
            proto.Graph.Output.Add(new ValueInfoProto
            {
                Name = activation,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        using var generator = new OnnxEmbeddingGenerator(source, new OnnxEmbeddingOptions { IntraOpThreads = threads });
        using var options = new SessionOptions { IntraOpNumThreads = generator.IntraOpThreads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(proto.ToByteArray(), options);
        var maxima = new Dictionary<string, float[]>(StringComparer.Ordinal);
        RunBatches(session, generator, texts, (names, values, lengths) =>
        {
            for (int o = 0; o < names.Count; o++)
            {
                if (!inputs.ContainsValue(names[o])) continue;
                var value = values[o];
                var shape = value.GetTensorTypeAndShape().Shape;
                var data = value.GetTensorDataAsSpan<float>();
                int channels = (int)shape[^1];
                if (!maxima.TryGetValue(names[o], out var largest)) maxima[names[o]] = largest = new float[channels];
                // [batch, seq, channels] counts each text's own tokens; any other shape (the pooler's [batch, channels]) every row.
                bool perToken = shape.Length == 3 && shape[0] == lengths.Length;
                int rows = data.Length / channels;
                for (int r = 0; r < rows; r++)
                {
                    if (perToken && r % (int)shape[1] >= lengths[r / (int)shape[1]]) continue;
                    var row = data.Slice(r * channels, channels);
                    for (int k = 0; k < channels; k++) largest[k] = Math.Max(largest[k], Math.Abs(row[k]));
                }
            }
        });
        return inputs.ToDictionary(i => i.Key, i => (i.Value, maxima[i.Value]), StringComparer.Ordinal);
    }

    /// <summary>
    /// Runs <paramref name="session"/> (a model of <paramref name="generator"/>'s inputs) on <paramref name="texts"/>,
    /// shortest first, in batches of 16; <paramref name="read"/> gets each batch's output names, values and token counts.
    /// </summary>
    private static void RunBatches(InferenceSession session, OnnxEmbeddingGenerator generator, string[] texts, Action<IReadOnlyList<string>, IReadOnlyList<OrtValue>, int[]> read)
    {
        var tokenizer = generator.Tokenizer;
        bool types = session.InputMetadata.ContainsKey("token_type_ids");
        var tokenized = texts.Select(t => tokenizer.Encode(t, generator.MaximumTokens)).OrderBy(t => t.Length).ToArray();
        foreach (var batch in tokenized.Chunk(16))
        {
            int seq = batch.Max(t => t.Length);
            var ids = new long[batch.Length * seq];
            var mask = new long[batch.Length * seq];
            for (int r = 0; r < batch.Length; r++)
            {
                batch[r].CopyTo(ids, r * seq);
                mask.AsSpan(r * seq, batch[r].Length).Fill(1);
            }
            long[] shape = [batch.Length, seq];
            var inputs = new Dictionary<string, OrtValue>
            {
                ["input_ids"] = OrtValue.CreateTensorValueFromMemory(ids, shape),
                ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(mask, shape),
            };
            if (types) inputs["token_type_ids"] = OrtValue.CreateTensorValueFromMemory(new long[batch.Length * seq], shape);
            try
            {
                using var runOptions = new RunOptions();
                using var outputs = session.Run(runOptions, inputs, session.OutputNames);
                read(session.OutputNames, [.. outputs], [.. batch.Select(t => t.Length)]);
            }
            finally
            {
                foreach (var value in inputs.Values) value.Dispose();
            }
        }
    }

    /// <summary>
    /// Each node's share of the float32 model's summed kernel time on <paramref name="texts"/> (batches of 16), from ONNX
    /// Runtime's profiler with graph optimizations off: optimized graphs fuse and rename the nodes a plan names.
    /// </summary>
    private static Dictionary<string, double> TimeShares(OnnxModelSource source, OnnxModelBytes bytes, string[] texts, int? threads)
    {
        using var generator = new OnnxEmbeddingGenerator(source, new OnnxEmbeddingOptions { IntraOpThreads = threads });
        string folder = Path.Combine(Path.GetTempPath(), $"bitsieve-profile-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string profile;
            using (var options = new SessionOptions
            {
                IntraOpNumThreads = generator.IntraOpThreads,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
                // The prefix before the switch: turning profiling on takes the prefix set at that moment.
                ProfileOutputPathPrefix = Path.Combine(folder, "profile"),
                EnableProfiling = true,
            })
            using (var session = new InferenceSession(bytes.Model, options))
            {
                RunBatches(session, generator, texts, (_, _, _) => { });
                profile = session.EndProfiling();
            }

            var times = new Dictionary<string, double>(StringComparer.Ordinal);
            double total = 0;
            using var document = JsonDocument.Parse(File.ReadAllText(profile));
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                if (!entry.TryGetProperty("cat", out var category) || category.GetString() != "Node") continue;
                string name = entry.GetProperty("name").GetString() ?? "";
                if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                double duration = entry.GetProperty("dur").GetDouble();
                string node = name[..^"_kernel_time".Length];
                times[node] = times.GetValueOrDefault(node) + duration;
                total += duration;
            }
            return times.ToDictionary(t => t.Key, t => total > 0 ? t.Value / total : 0, StringComparer.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
