using System.Text.Json.Serialization;

namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// A matrix product of the graph whose right operand is a constant weight: a candidate for int8. Named by its node, so a
/// plan stays readable (<c>/encoder/layer.0/attention/self/query/MatMul</c>).
/// </summary>
/// <param name="Name">The node's name (unique in the graph; the rewriter names unnamed nodes by their first output).</param>
/// <param name="OpType"><c>MatMul</c> or <c>Gemm</c>.</param>
/// <param name="Inner">K: rows of the weight as the product uses it (input features).</param>
/// <param name="Outer">N: columns of the weight as the product uses it (output features, one scale each).</param>
internal sealed record WeightLayer(string Name, string OpType, int Inner, int Outer)
{
    /// <summary><c>K×N</c>, as the per-layer table prints it.</summary>
    [JsonIgnore]
    public string Shape => $"{Inner}x{Outer}";

    /// <summary>
    /// K·N: multiply-adds per token (every candidate layer of an encoder runs once per token, so this is the layer's
    /// work, and the time int8 can save on it, up to one common factor).
    /// </summary>
    [JsonIgnore]
    public long MultiplyAdds => (long)Inner * Outer;
}
