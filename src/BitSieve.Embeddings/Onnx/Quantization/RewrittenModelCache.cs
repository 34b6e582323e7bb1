namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// Rewritten model bytes on disk, beside the embedding cache: <c>models/&lt;source hash&gt;-int8v&lt;rewriter version&gt;-&lt;plan key&gt;.onnx</c> in
/// the cache folder, so a model is rewritten once per (source bytes, plan) and then only read.
/// </summary>
internal static class RewrittenModelCache
{
    /// <summary>
    /// The bytes of <paramref name="model"/> rewritten by <paramref name="plan"/>, from <paramref name="directory"/> when
    /// there, else rewritten now and stored there (written to a temporary file and renamed, so a reader never sees half a
    /// file); with <paramref name="directory"/> null, rewritten in memory only.
    /// </summary>
    public static byte[] GetOrRewrite(byte[] model, string sourceHash, QuantizationPlan plan, string? directory)
    {
        if (directory is null) return Rewrite(model, plan);
        string path = PathFor(directory, sourceHash, plan);
        if (File.Exists(path)) return File.ReadAllBytes(path);

        var rewritten = Rewrite(model, plan);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, rewritten);
        File.Move(temporary, path, overwrite: true);
        return rewritten;
    }

    /// <summary>Where the model hashing to <paramref name="sourceHash"/>, rewritten by <paramref name="plan"/>, is kept in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, string sourceHash, QuantizationPlan plan) =>
        Path.Combine(directory, "models", $"{sourceHash}-int8v{Int8Rewriter.Version}-{plan.Key}.onnx");

    private static byte[] Rewrite(byte[] model, QuantizationPlan plan) =>
        Int8Rewriter.Rewrite(model, plan.Resolve(Int8Rewriter.FindLayers(model)), plan.Smoothing);
}
