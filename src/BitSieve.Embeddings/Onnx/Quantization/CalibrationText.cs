namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// Text to calibrate precision plans on: one text per non-empty line. The built-in set is 64 sentences written for this
/// purpose (everyday and technical prose, questions and statements), shipped inside the assembly; it shares nothing with
/// the labelled evaluation sets.
/// </summary>
internal static class CalibrationText
{
    private const string ResourceName = "BitSieve.Embeddings.calibration.txt";

    /// <summary>The built-in calibration sentences.</summary>
    public static IReadOnlyList<string> BuiltIn()
    {
        using var stream = typeof(CalibrationText).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from {typeof(CalibrationText).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return Lines(reader.ReadToEnd());
    }

    /// <summary>The texts of a calibration file (UTF-8, one per non-empty line).</summary>
    public static IReadOnlyList<string> Read(string path) =>
        File.Exists(path) ? Lines(File.ReadAllText(path)) : throw new FileNotFoundException($"Calibration file not found: {Path.GetFullPath(path)}", path);

    private static string[] Lines(string text) =>
        text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();
}
