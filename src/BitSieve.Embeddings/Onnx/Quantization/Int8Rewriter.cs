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
/// (−128 is never produced), zero point 0. Nodes not named in the plan are left exactly as they are. Two rewrites save
/// work without changing a single output value: a MatMul's bias <c>Add</c> is folded into the node's bias input, and
/// the plan's MatMuls reading one activation (query, key, value) become one node over their weights side by side,
/// then a <c>Split</c>, so that activation is quantized once. A third changes only float rounding: each self-attention
/// becomes one <c>com.microsoft.MultiHeadAttention</c> node (<see cref="AttentionFusion"/>), still float32. A plan may
/// also smooth its layers before they are quantized (<see cref="Smooth(GraphProto, IReadOnlyDictionary{string, float[]})"/>):
/// the same function in float32, flatter activations for int8.
/// </remarks>
internal static class Int8Rewriter
{
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>
    /// Changes whenever the rewriter would write other bytes for the same model and plan (it names cached files and is
    /// part of an int8 model's cache identity). 2: biases folded, products sharing an input fused. 3: attention fused.
    /// </summary>
    public const int Version = 3;

    /// <summary>The candidate layers of <paramref name="model"/>, in graph order.</summary>
    public static IReadOnlyList<WeightLayer> FindLayers(byte[] model) => FindLayers(ModelProto.Parser.ParseFrom(model).Graph);

    /// <summary>
    /// <paramref name="model"/> with every candidate layer named in <paramref name="layers"/> in int8; a name that is
    /// not a candidate layer of this model throws <see cref="ArgumentException"/> (a plan made for another model).
    /// </summary>
    /// <remarks>
    /// With <paramref name="smoothing"/>, each layer of the plan it names is smoothed first (<see cref="Smooth(GraphProto, IReadOnlyDictionary{string, float[]})"/>),
    /// then quantized.
    /// </remarks>
    public static byte[] Rewrite(byte[] model, IReadOnlyCollection<string> layers, IReadOnlyDictionary<string, float[]>? smoothing = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        CheckLayers(graph, layers, nameof(layers));
        if (layers.Count == 0) return model;

        var wanted = layers.ToHashSet(StringComparer.Ordinal);
        if (smoothing is not null) Smooth(graph, smoothing.Where(s => wanted.Contains(s.Key)).ToDictionary(StringComparer.Ordinal));
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var products = new List<Product>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (wanted.Contains(NodeName(node))) products.Add(Quantize(i, node, initializers[node.Input[1]]));
        }

        long opset = DefaultOpset(proto);
        FoldBiases(graph, products, initializers);
        EmitProducts(graph, products, opset);
        AttentionFusion.Fuse(graph, opset);
        RemoveUnusedInitializers(graph);
        if (!proto.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return proto.ToByteArray();
    }

    /// <summary>
    /// <paramref name="model"/> with the layers <paramref name="maxima"/> names smoothed and left float32: the same
    /// function up to float rounding (what the tests check the smoothing by).
    /// </summary>
    internal static byte[] Smooth(byte[] model, IReadOnlyDictionary<string, float[]> maxima)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        CheckLayers(proto.Graph, maxima.Keys, nameof(maxima));
        Smooth(proto.Graph, maxima);
        return proto.ToByteArray();
    }

    private static void CheckLayers(GraphProto graph, IEnumerable<string> layers, string parameter)
    {
        var candidates = FindLayers(graph).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = layers.Where(l => !candidates.Contains(l)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"The plan names {unknown.Count} layer(s) the model has no weight-constant MatMul/Gemm for, e.g. '{unknown[0]}': it was made for another model.", parameter);
    }

    /// <summary>
    /// Smooths the activation outliers out of the products <paramref name="maxima"/> names (layer name → the largest
    /// |X_k| of each input channel k on calibration text): X·W = (X·diag(1/s))·(diag(s)·W) exactly, with
    /// s_k = √(max|X_k| / max_n |W_kn|) (the balance α = ½ between activation and weight ranges, as published for
    /// SmoothQuant). Activations are quantized per tensor, so a few channels of large magnitude set the scale and crush
    /// the rest; divided by s they flatten, and the weight, quantized per output column, takes the range on instead.
    /// The products reading one activation share one s (the largest weight row over them) and one <c>Mul</c> by 1/s,
    /// inserted before the first of them; other readers of the activation still read it as it was.
    /// </summary>
    private static void Smooth(GraphProto graph, IReadOnlyDictionary<string, float[]> maxima)
    {
        if (maxima.Count == 0) return;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var readers = new List<(int Index, NodeProto Node)>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            if (maxima.ContainsKey(NodeName(graph.Node[i]))) readers.Add((i, graph.Node[i]));
        }

        var inserts = new List<(int Before, NodeProto Mul)>();
        foreach (var group in readers.GroupBy(r => r.Node.Input[0], StringComparer.Ordinal))
        {
            var products = group.Select(r => (r.Node, Tensor: initializers[r.Node.Input[1]], Values: FloatValues(initializers[r.Node.Input[1]]),
                Transposed: r.Node.OpType == "Gemm" && Attribute(r.Node, "transB") == 1)).ToList();
            int inner = maxima[NodeName(products[0].Node)].Length;
            var activation = new float[inner];
            var weight = new float[inner];
            foreach (var (node, tensor, values, transposed) in products)
            {
                var observed = maxima[NodeName(node)];
                int columns = (int)tensor.Dims[1], outer = values.Length / inner;
                if (observed.Length != inner || values.Length != inner * outer || (transposed ? columns : (int)tensor.Dims[0]) != inner)
                    throw new ArgumentException($"The smoothing of layer '{NodeName(node)}' has {observed.Length} channels; its input has {(transposed ? columns : tensor.Dims[0])}: it was made for another model.", nameof(maxima));
                for (int k = 0; k < inner; k++)
                {
                    activation[k] = Math.Max(activation[k], observed[k]);
                    for (int n = 0; n < outer; n++) weight[k] = Math.Max(weight[k], Math.Abs(transposed ? values[n * inner + k] : values[k * outer + n]));
                }
            }

            var scales = new float[inner];
            for (int k = 0; k < inner; k++)
                scales[k] = activation[k] > 0 && weight[k] > 0 && float.IsFinite(activation[k]) ? MathF.Sqrt(activation[k] / weight[k]) : 1f;

            string input = group.Key, smoothed = NodeName(products[0].Node) + "/smoothed_input";
            foreach (var (node, tensor, values, transposed) in products)
            {
                int outer = values.Length / inner;
                for (int k = 0; k < inner; k++)
                {
                    for (int n = 0; n < outer; n++)
                    {
                        if (transposed) values[n * inner + k] *= scales[k];
                        else values[k * outer + n] *= scales[k];
                    }
                }
                var scaled = FloatTensor(NodeName(node) + "/smoothed_weight", values);
                scaled.Dims.Clear();
                scaled.Dims.Add(tensor.Dims);
                graph.Initializer.Add(scaled);
                node.Input[1] = scaled.Name;
                node.Input[0] = smoothed;
            }

            var inverse = FloatTensor(smoothed + "/inverse_scale", [.. scales.Select(s => 1f / s)]);
            graph.Initializer.Add(inverse);
            var mul = new NodeProto { Name = smoothed, OpType = "Mul", Input = { input, inverse.Name } };
            mul.Output.Add(smoothed);
            inserts.Add((group.Min(r => r.Index), mul));
        }

        foreach (var (before, mul) in inserts.OrderByDescending(i => i.Before)) graph.Node.Insert(before, mul);
        RemoveUnusedInitializers(graph);
    }

    /// <summary>A node's name, or its first output where the exporter left it unnamed.</summary>
    internal static string NodeName(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output[0];

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

    /// <summary>One product of the plan, its weight in int8, before it is written back into the graph.</summary>
    /// <param name="Index">Position of the original node in the graph.</param>
    /// <param name="Name">The layer's name.</param>
    /// <param name="Input">The activation it multiplies.</param>
    /// <param name="Weight">q[k, j] at k·Outer + j: int8 values, as bytes.</param>
    /// <param name="Scales">s_j, one per output column.</param>
    /// <param name="Inner">K.</param>
    /// <param name="Outer">N.</param>
    private sealed record Product(int Index, string Name, string Input, byte[] Weight, float[] Scales, int Inner, int Outer)
    {
        /// <summary>The tensor it writes: its own output, or the bias <c>Add</c>'s once that is folded in.</summary>
        public required string Output { get; set; }

        /// <summary>The bias added to its output (a Gemm's <c>C</c>, or the folded <c>Add</c>'s vector), or none.</summary>
        public float[]? Bias { get; set; }

        /// <summary>Position of the bias <c>Add</c> folded into it, or −1.</summary>
        public int FoldedAdd { get; set; } = -1;
    }

    private static Product Quantize(int index, NodeProto node, TensorProto weight)
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

        return new Product(index, NodeName(node), node.Input[0], quantized, scales, inner, outer) { Output = node.Output[0] };
    }

    /// <summary>
    /// Moves the bias into each product: a Gemm's <c>C</c>, or, for a MatMul whose output only feeds an <c>Add</c> of a
    /// constant vector of length N (how exporters write a Linear layer's bias), that vector, the <c>Add</c> then dropped.
    /// The fused node adds the bias to the same float it computed, so the result is the same and one pass over the
    /// output is saved.
    /// </summary>
    private static void FoldBiases(GraphProto graph, List<Product> products, Dictionary<string, TensorProto> initializers)
    {
        var readers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (string input in graph.Node[i].Input)
            {
                if (input.Length == 0) continue;
                if (!readers.TryGetValue(input, out var list)) readers[input] = list = [];
                list.Add(i);
            }
        }
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var product in products)
        {
            var node = graph.Node[product.Index];
            if (node.OpType == "Gemm")
            {
                if (node.Input.Count >= 3 && node.Input[2].Length > 0) product.Bias = FloatValues(initializers[node.Input[2]]);
                continue;
            }
            if (graphOutputs.Contains(product.Output) || !readers.TryGetValue(product.Output, out var reading) || reading.Count != 1) continue;
            var add = graph.Node[reading[0]];
            if (add.OpType != "Add" || add.Domain.Length > 0 || add.Input.Count != 2 || add.Input[0] == add.Input[1]) continue;
            string other = add.Input[0] == product.Output ? add.Input[1] : add.Input[0];
            if (!initializers.TryGetValue(other, out var bias) || bias.DataType != (int)TensorProto.Types.DataType.Float ||
                bias.Dims.Count != 1 || bias.Dims[0] != product.Outer) continue;
            product.Bias = FloatValues(bias);
            product.FoldedAdd = reading[0];
            product.Output = add.Output[0];
        }
    }

    /// <summary>
    /// Writes the products back: each as one <c>DynamicQuantizeMatMul</c>, except that MatMuls of the plan reading the
    /// same activation (a block's query, key and value) become one product over their weights side by side, then a
    /// <c>Split</c> into their outputs: the activation is quantized once instead of once each, and one larger product
    /// keeps the kernel busier. The activation's scale and zero point are per tensor, so each output column is computed
    /// exactly as it would be alone (same integer sum, same scales, same bias).
    /// </summary>
    private static void EmitProducts(GraphProto graph, List<Product> products, long opset)
    {
        // Split with sizes as an attribute (opset 11–12) or an input (13+); negative axes need opset 11.
        var groups = products
            .Where(p => opset >= 11 && graph.Node[p.Index].OpType == "MatMul")
            .GroupBy(p => (p.Input, p.Inner))
            .Where(g => g.Count() > 1)
            .Select(g => g.OrderBy(p => p.Index).ToList())
            .ToList();
        var grouped = groups.SelectMany(g => g.Skip(1)).Select(p => p.Index).ToHashSet();
        var groupOf = groups.ToDictionary(g => g[0].Index);
        var byIndex = products.ToDictionary(p => p.Index);
        var dropped = products.Where(p => p.FoldedAdd >= 0).Select(p => p.FoldedAdd).Concat(grouped).ToHashSet();

        var nodes = new List<NodeProto>(graph.Node.Count);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            if (dropped.Contains(i)) continue;
            if (groupOf.TryGetValue(i, out var group)) nodes.AddRange(Fused(graph, group, opset));
            else if (byIndex.TryGetValue(i, out var product)) nodes.Add(Emit(graph, product.Name, product.Input, product.Output, product.Weight, product.Scales, product.Bias, product.Inner, product.Outer));
            else nodes.Add(graph.Node[i]);
        }
        graph.Node.Clear();
        graph.Node.Add(nodes);
    }

    /// <summary>One product over the weights of <paramref name="group"/> side by side, then a Split into their outputs.</summary>
    private static IEnumerable<NodeProto> Fused(GraphProto graph, List<Product> group, long opset)
    {
        int inner = group[0].Inner, outer = group.Sum(p => p.Outer);
        var weight = new byte[inner * outer];
        var scales = new float[outer];
        float[]? bias = group.Any(p => p.Bias is not null) ? new float[outer] : null;
        int column = 0;
        foreach (var product in group)
        {
            for (int k = 0; k < inner; k++)
                product.Weight.AsSpan(k * product.Outer, product.Outer).CopyTo(weight.AsSpan(k * outer + column));
            product.Scales.CopyTo(scales, column);
            product.Bias?.CopyTo(bias!, column); // a product without a bias adds zeros, exactly nothing
            column += product.Outer;
        }

        string name = group[0].Name, joined = name + "/shared_input";
        yield return Emit(graph, name, group[0].Input, joined, weight, scales, bias, inner, outer);

        var split = new NodeProto { Name = name + "/split", OpType = "Split" };
        split.Input.Add(joined);
        split.Output.Add(group.Select(p => p.Output));
        split.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 });
        if (opset >= 13)
        {
            var sizes = new TensorProto { Name = name + "/split_sizes", DataType = (int)TensorProto.Types.DataType.Int64 };
            sizes.Dims.Add(group.Count);
            sizes.Int64Data.Add(group.Select(p => (long)p.Outer));
            graph.Initializer.Add(sizes);
            split.Input.Add(sizes.Name);
        }
        else
        {
            var sizes = new AttributeProto { Name = "split", Type = AttributeProto.Types.AttributeType.Ints };
            sizes.Ints.Add(group.Select(p => (long)p.Outer));
            split.Attribute.Add(sizes);
        }
        yield return split;
    }

    /// <summary>A <c>com.microsoft.DynamicQuantizeMatMul</c> node and its initializers (int8 weight K×N, scales, bias).</summary>
    private static NodeProto Emit(GraphProto graph, string name, string input, string output, byte[] weight, float[] scales, float[]? bias, int inner, int outer)
    {
        var weightInt8 = new TensorProto { Name = name + "/int8_weight", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(weight) };
        weightInt8.Dims.Add([inner, outer]);
        var scaleTensor = FloatTensor(name + "/int8_scale", scales);
        graph.Initializer.Add(weightInt8);
        graph.Initializer.Add(scaleTensor);

        var node = new NodeProto { Name = name, OpType = "DynamicQuantizeMatMul", Domain = MicrosoftDomain };
        node.Input.Add([input, weightInt8.Name, scaleTensor.Name]);
        if (bias is not null)
        {
            var biasTensor = FloatTensor(name + "/bias", bias);
            graph.Initializer.Add(biasTensor);
            node.Input.Add(["", biasTensor.Name]); // no zero point (symmetric), then the bias
        }
        node.Output.Add(output);
        return node;
    }

    private static TensorProto FloatTensor(string name, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(values.Length);
        return tensor;
    }

    /// <summary>The model's version of the default ONNX operator set (the one <c>Split</c> comes from).</summary>
    private static long DefaultOpset(ModelProto model) =>
        model.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx")?.Version ?? 1;

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

    /// <summary>Drops the initializers no node reads any more (the float weights now in int8, the fused attentions' shapes).</summary>
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
