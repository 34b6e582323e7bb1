using Google.Protobuf;
using Onnx;

namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// Rewrites weight-constant <c>MatMul</c>/<c>Gemm</c> nodes of an ONNX graph into ONNX Runtime's dynamic-int8 form: the
/// weight stored as int8 with one scale per output column, the activations quantized per run (per tensor, uint8,
/// asymmetric), all in one <c>com.microsoft.DynamicQuantizeMatMul</c> node, which ORT's CPU provider runs on MLAS's
/// u8×s8 kernels (VNNI <c>vpdpbusd</c> where the CPU has it) with the weight prepacked at session creation.
/// </summary>
/// <remarks>
/// Weight quantization is symmetric per column j: s_j = max_k |W[k,j]| / 127, q[k,j] = round(W[k,j] / s_j) ∈ [−127, 127]
/// (−128 is never produced), zero point 0. Nodes not named in the plan are left exactly as they are.
/// </remarks>
internal static class Int8Rewriter
{
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>Changes whenever the rewriter would write other bytes for the same model and plan (it names cached files).</summary>
    public const int Version = 1;

    /// <summary>The candidate layers of <paramref name="model"/>, in graph order.</summary>
    public static IReadOnlyList<WeightLayer> FindLayers(byte[] model) => FindLayers(ModelProto.Parser.ParseFrom(model).Graph);

    /// <summary>
    /// <paramref name="model"/> with every candidate layer named in <paramref name="layers"/> in int8; a name that is
    /// not a candidate layer of this model throws <see cref="ArgumentException"/> (a plan made for another model).
    /// </summary>
    public static byte[] Rewrite(byte[] model, IReadOnlyCollection<string> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        var candidates = FindLayers(graph).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = layers.Where(l => !candidates.Contains(l)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"The plan names {unknown.Count} layer(s) the model has no weight-constant MatMul/Gemm for, e.g. '{unknown[0]}': it was made for another model.", nameof(layers));
        if (layers.Count == 0) return model;

        var wanted = layers.ToHashSet(StringComparer.Ordinal);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (!wanted.Contains(NodeName(node))) continue;
            graph.Node[i] = Quantize(node, initializers[node.Input[1]], graph);
        }

        RemoveUnusedInitializers(graph);
        if (!proto.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return proto.ToByteArray();
    }

    /// <summary>A node's name, or its first output where the exporter left it unnamed.</summary>
    private static string NodeName(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output[0];

    private static List<WeightLayer> FindLayers(GraphProto graph)
    {
        var weights = graph.Initializer
            .Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count == 2)
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        var layers = new List<WeightLayer>();
        foreach (var node in graph.Node)
        {
            if (node.Domain.Length > 0 || node.Input.Count < 2 || !weights.TryGetValue(node.Input[1], out var weight)) continue;
            int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
            if (node.OpType == "MatMul")
            {
                layers.Add(new WeightLayer(NodeName(node), "MatMul", rows, columns));
            }
            else if (node.OpType == "Gemm" && Attribute(node, "transA") == 0 && AttributeFloat(node, "alpha") == 1 &&
                     (node.Input.Count < 3 || (AttributeFloat(node, "beta") == 1 && IsVectorOf(graph, node.Input[2], Attribute(node, "transB") == 1 ? rows : columns))))
            {
                // Y = A·op(B) + C with op(B) = Bᵀ when transB: the product's K×N is then columns×rows.
                bool transposed = Attribute(node, "transB") == 1;
                layers.Add(new WeightLayer(NodeName(node), "Gemm", transposed ? columns : rows, transposed ? rows : columns));
            }
        }
        return layers;
    }

    private static NodeProto Quantize(NodeProto node, TensorProto weight, GraphProto graph)
    {
        var values = FloatValues(weight);
        int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
        bool transposed = node.OpType == "Gemm" && Attribute(node, "transB") == 1;
        int inner = transposed ? columns : rows, outer = transposed ? rows : columns;
        // W[k, j] as the product uses it (K×N), whichever way the initializer stores it.
        float At(int k, int j) => transposed ? values[j * columns + k] : values[k * columns + j];

        var scales = new float[outer];
        var quantized = new byte[inner * outer];
        for (int j = 0; j < outer; j++)
        {
            float largest = 0;
            for (int k = 0; k < inner; k++) largest = Math.Max(largest, Math.Abs(At(k, j)));
            float scale = largest > 0 ? largest / 127f : 1f;
            scales[j] = scale;
            for (int k = 0; k < inner; k++)
                quantized[k * outer + j] = (byte)(sbyte)Math.Clamp(MathF.Round(At(k, j) / scale, MidpointRounding.ToEven), -127f, 127f);
        }

        string name = NodeName(node);
        var weightInt8 = new TensorProto { Name = name + "/int8_weight", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(quantized) };
        weightInt8.Dims.Add([inner, outer]);
        var scaleTensor = new TensorProto { Name = name + "/int8_scale", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan())) };
        scaleTensor.Dims.Add(outer);
        graph.Initializer.Add(weightInt8);
        graph.Initializer.Add(scaleTensor);

        var replacement = new NodeProto { Name = name, OpType = "DynamicQuantizeMatMul", Domain = MicrosoftDomain };
        replacement.Input.Add([node.Input[0], weightInt8.Name, scaleTensor.Name]);
        if (node.OpType == "Gemm" && node.Input.Count >= 3 && node.Input[2].Length > 0)
            replacement.Input.Add(["", node.Input[2]]); // no zero point (symmetric), then the bias
        replacement.Output.Add(node.Output[0]);
        return replacement;
    }

    private static float[] FloatValues(TensorProto tensor)
    {
        if (tensor.RawData.Length > 0)
        {
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        }
        if (tensor.FloatData.Count > 0) return [.. tensor.FloatData];
        throw new InvalidDataException($"The weight '{tensor.Name}' keeps its values outside the model (external data), which the rewriter does not read.");
    }

    private static bool IsVectorOf(GraphProto graph, string name, int length) =>
        graph.Initializer.FirstOrDefault(t => t.Name == name) is { } bias && bias.Dims.Count == 1 && bias.Dims[0] == length;

    private static long Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? 0;

    private static float AttributeFloat(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? 1f;

    /// <summary>Drops the float weights no node reads any more (each was read by the one product it fed).</summary>
    private static void RemoveUnusedInitializers(GraphProto graph)
    {
        var used = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        for (int i = graph.Initializer.Count - 1; i >= 0; i--)
        {
            if (used.Contains(graph.Initializer[i].Name)) continue;
            // Older exports also list initializers as graph inputs; one left there would become an input to feed.
            string name = graph.Initializer[i].Name;
            graph.Initializer.RemoveAt(i);
            for (int j = graph.Input.Count - 1; j >= 0; j--)
            {
                if (graph.Input[j].Name == name) graph.Input.RemoveAt(j);
            }
        }
    }
}
