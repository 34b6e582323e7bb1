using System.CommandLine;
using System.Globalization;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Onnx.Quantization;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve model plan</c>: measures, on calibration text, what putting each weight-constant matrix product of an
/// ONNX model in int8 costs the final embeddings, picks the layers that can be int8 together within a target, prints
/// the per-layer table and writes the plan (JSON) for <c>--precision auto --plan FILE</c>. <c>bitsieve model info</c>
/// (ModelCommand.Info.cs) shows the plan a model or a collection runs.
/// </summary>
internal static partial class ModelCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "minilm (default), arctic-xs, or a local sentence-transformers ONNX folder.",
            DefaultValueFactory = _ => EmbeddingModels.Default,
            HelpName = "NAME|PATH",
        };
        var target = new Option<double>("--target")
        {
            Description = "Mean cosine to the float32 embeddings the plan must keep (default 0.995).",
            DefaultValueFactory = _ => PrecisionPlanner.DefaultTarget,
            HelpName = "COSINE",
        };
        var calibration = new Option<string?>("--calibration")
        {
            Description = "Calibration text, one text per line (default: 64 built-in sentences). Even lines calibrate, odd lines are held out. Never use an evaluation set.",
            HelpName = "FILE",
        };
        var output = new Option<string?>("--out") { Description = "Where to write the plan (default: MODEL.int8-plan.json).", HelpName = "PLAN.json" };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads; default: the processor count.", HelpName = "N" };

        var plan = new Command("plan", "Measure each layer of a model in int8 and write the plan that keeps the target.")
        {
            model, target, calibration, output, threads,
        };
        plan.SetAction((parseResult, cancellationToken) => Task.FromResult(Plan(
            parseResult.GetValue(model) ?? EmbeddingModels.Default, parseResult.GetValue(target), parseResult.GetValue(calibration),
            parseResult.GetValue(output), parseResult.GetValue(threads),
            parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken)));

        return new Command("model", "Precision inside the embedding model.") { plan, CreateInfo() };
    }

    /// <summary>
    /// The per-layer table: layer, op, shape, error alone (mean, worst, as the plan quantizes it), mean error alone
    /// unsmoothed, whether it is smoothed, share of multiply-adds, profiled float32 time, bits.
    /// </summary>
    private static void WriteTable(TextWriter stdout, IReadOnlyList<LayerMeasurement> layers)
    {
        int width = Math.Max("layer".Length, layers.Max(l => l.Layer.Name.Length));
        stdout.WriteLine($"  # {"layer".PadRight(width)} op      shape       alone: mean 1-cos  worst 1-cos  unsmoothed  smoothed   work  fp32 time  bits");
        for (int i = 0; i < layers.Count; i++)
        {
            var row = layers[i];
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i + 1,3} {row.Layer.Name.PadRight(width)} {row.Layer.OpType,-7} {row.Layer.Shape,-11} {row.MeanError,18:0.00E+00}  {row.WorstError,11:0.00E+00}  {(row.UnsmoothedMeanError is { } plain ? plain.ToString("0.00E+00", CultureInfo.InvariantCulture) : "-"),10}  {(row.Smoothed ? "yes" : "no"),8}  {row.WorkShare,5:P1}  {row.TimeShare,9:P1}  {(row.Int8 ? "8" : "32")}"));
        }
    }

    private static int Plan(string model, double target, string? calibration, string? output, int? threads, TextWriter stdout, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            if (target is <= 0 or > 1 || double.IsNaN(target)) throw new UsageException("--target must be a cosine in (0, 1]");
            if (threads is < 1) throw new UsageException("--threads must be positive");
            if (model.StartsWith("openai:", StringComparison.OrdinalIgnoreCase) || model.Contains("://", StringComparison.Ordinal))
                throw new UsageException($"only ONNX models can be planned, not {model}");
            var texts = calibration is null ? CalibrationText.BuiltIn() : CalibrationText.Read(calibration);
            if (texts.Count < 4) throw new UsageException($"the calibration text needs at least 4 lines, {calibration} has {texts.Count}");
            string path = output ?? $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(model))}.int8-plan.json";

            error.WriteLine($"bitsieve model plan: {model}, {texts.Count} texts, target {target.ToString(CultureInfo.InvariantCulture)}");
            var report = PrecisionPlanner.Plan(model, texts, target, threads, progress: error, cancellationToken: cancellationToken);
            var inv = CultureInfo.InvariantCulture;
            WriteTable(stdout, report.Layers);
            var file = report.Plan;
            double int8Work = report.Layers.Where(l => l.Int8).Sum(l => l.WorkShare);
            double int8Time = report.Layers.Where(l => l.Int8).Sum(l => l.TimeShare);
            double allTime = report.Layers.Sum(l => l.TimeShare);
            stdout.WriteLine(string.Create(inv,
                $"plan: {file.Int8Layers.Count} of {report.Layers.Count} layers int8 ({int8Work:P1} of their multiply-adds; {int8Time:P1} of float32 kernel time, all candidates {allTime:P1}); " +
                $"held-out mean cosine {file.HeldOutMeanCosine:F5}, worst {file.HeldOutWorstCosine:F5} (target {target}; {report.CalibrationTexts} calibration, {report.HeldOutTexts} held-out texts)"));
            stdout.WriteLine(string.Create(inv,
                $"uniform int8: held-out mean cosine {report.UniformMeanCosine:F5}, worst {report.UniformWorstCosine:F5}"));
            file.Write(path);
            stdout.WriteLine($"wrote {Path.GetFullPath(path)}");
            if (file.HeldOutMeanCosine < target)
                error.WriteLine($"bitsieve model plan: warning: the plan keeps the target on the calibration half but not on the held-out half ({file.HeldOutMeanCosine.ToString("F5", inv)}); use more calibration text or a higher target");
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidDataException or NotSupportedException)
        {
            error.WriteLine($"bitsieve model plan: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("bitsieve model plan: cancelled (no plan written)");
            return ExitCodes.Cancelled;
        }
    }
}
