using Onnx;

namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>
/// Replaces each self-attention of a BERT-family export, as <c>torch.onnx</c> writes it, by one
/// <c>com.microsoft.MultiHeadAttention</c> node: the reshapes and transposes into heads, the Q·Kᵀ product, its scaling,
/// the padding mask's <c>Add</c>, the <c>Softmax</c>, the P·V product and the transpose and reshape back. ONNX Runtime's
/// own attention fusion does not match these exports (their intermediate shapes are dynamic).
/// </summary>
/// <remarks>
/// The pattern, per block, with Q, K, V the projections [batch, seq, heads·size] (whatever computes them: int8 products
/// and a <c>Split</c>, or float32 ones):
/// <code>
/// Softmax(MatMul(Transpose₀₂₁₃(Reshape(Q, [b, s, h, d])), Transpose₀₂₃₁(Reshape(K, [b, s, h, d]))) / c + M)
///   → MatMul(·, Transpose₀₂₁₃(Reshape(V, [b, s, h, d]))) → Transpose₀₂₁₃ → Reshape([b, s, h·d])
/// </code>
/// where M = (1 − float(attention_mask[:, None, None, :])) · f, the additive key-padding mask. The fused node computes
/// softmax(Q·Kᵀ · (1/c) + mask) · V per head with the mask's padded keys set to f (ONNX Runtime's
/// <c>mask_filter_value</c>), the same function; only float rounding differs (a product and a scale instead of a
/// product and a division). Where Q, K and V are the <c>Split</c> of one int8 product (<see cref="Int8Rewriter"/>'s
/// query/key/value fusion), the product joins the attention as <c>com.microsoft.QAttention</c>, which writes the
/// projections straight into the heads' layout: the same integer sums, scales and bias, without the <c>Split</c> and the
/// copies into heads. A block that does not match exactly is left as it is. The nodes the fused ones replace are then
/// read by nothing and removed.
/// </remarks>
internal static class AttentionFusion
{
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>Fuses every matching attention of <paramref name="graph"/> in place; returns how many.</summary>
    /// <param name="graph">The graph, its nodes in topological order.</param>
    /// <param name="opset">The model's default operator set (Softmax's default axis depends on it).</param>
    public static int Fuse(GraphProto graph, long opset)
    {
        var view = new GraphView(graph);
        var fused = new Dictionary<NodeProto, NodeProto[]>(ReferenceEqualityComparer.Instance);
        string? mask = null;
        string? maskSource = null;
        foreach (var softmax in graph.Node.Where(n => Is(n, "Softmax")))
        {
            if (view.Match(softmax, opset) is not { } block) continue;
            // One int32 copy of the mask input serves every block; blocks masked by another input are left alone.
            maskSource ??= block.MaskInput;
            if (block.MaskInput != maskSource) continue;
            mask ??= view.IsInt32(maskSource) ? maskSource : maskSource + "/int32";

            string name = block.Output.Name + "/attention";
            var attention = view.QuantizedProjections(block) is { } product
                ? QuantizedAttention(name, product, mask)
                : [new NodeProto { Name = name, OpType = "MultiHeadAttention", Domain = MicrosoftDomain, Input = { block.Query, block.Key, block.Value, "", mask } }];
            attention[^1].Output.Add(block.Output.Output[0]);
            attention[^1].Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = block.Heads });
            attention[^1].Attribute.Add(new AttributeProto { Name = "scale", Type = AttributeProto.Types.AttributeType.Float, F = block.Scale });
            attention[^1].Attribute.Add(new AttributeProto { Name = "mask_filter_value", Type = AttributeProto.Types.AttributeType.Float, F = block.MaskValue });
            fused[block.Output] = attention;
        }
        if (fused.Count == 0) return 0;

        var nodes = new List<NodeProto>(graph.Node.Count + 1);
        if (mask != maskSource)
        {
            var cast = new NodeProto { Name = mask, OpType = "Cast" };
            cast.Input.Add(maskSource);
            cast.Output.Add(mask);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Int32 });
            nodes.Add(cast);
        }
        nodes.AddRange(graph.Node.SelectMany(n => fused.GetValueOrDefault(n) ?? [n]));
        graph.Node.Clear();
        graph.Node.Add(nodes);
        RemoveUnreadNodes(graph);
        return fused.Count;
    }

    /// <summary>
    /// The attention of <paramref name="product"/>'s query, key and value as <c>com.microsoft.QAttention</c>: its activation
    /// quantized once by <c>DynamicQuantizeLinear</c> (the rule <c>DynamicQuantizeMatMul</c> applies inside), then the
    /// same int8 weights, column scales and bias, written straight into the heads' layout (no <c>Split</c>, no transposes).
    /// </summary>
    private static NodeProto[] QuantizedAttention(string name, NodeProto product, string mask)
    {
        string activation = product.Input[0], weight = product.Input[1], scales = product.Input[2], bias = product.Input[4];
        var quantize = new NodeProto { Name = name + "/quantize", OpType = "DynamicQuantizeLinear", Input = { activation } };
        quantize.Output.Add([name + "/activation_uint8", name + "/activation_scale", name + "/activation_zero_point"]);
        var attention = new NodeProto { Name = name, OpType = "QAttention", Domain = MicrosoftDomain };
        attention.Input.Add([quantize.Output[0], weight, bias, quantize.Output[1], scales, mask, quantize.Output[2]]);
        return [quantize, attention];
    }

    /// <summary>Removes the nodes none of whose outputs is read (by a node or as a graph output), until none is left.</summary>
    private static void RemoveUnreadNodes(GraphProto graph)
    {
        while (true)
        {
            var read = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
            var kept = graph.Node.Where(n => n.Output.Any(read.Contains)).ToList();
            if (kept.Count == graph.Node.Count) return;
            graph.Node.Clear();
            graph.Node.Add(kept);
        }
    }

    private static bool Is(NodeProto node, string opType) => node.OpType == opType && node.Domain.Length == 0;

    /// <summary>One attention block found: its projections, the node whose output it writes, and its parameters.</summary>
    private sealed record Block(string Query, string Key, string Value, NodeProto Output, int Heads, float Scale, string MaskInput, float MaskValue);

    /// <summary>The graph seen through who writes and who reads each tensor, and its constants.</summary>
    private sealed class GraphView
    {
        private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<NodeProto>> _readers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ValueInfoProto> _inputs;

        public GraphView(GraphProto graph)
        {
            foreach (var tensor in graph.Initializer) _constants[tensor.Name] = tensor;
            var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            _inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToDictionary(i => i.Name, StringComparer.Ordinal);
            foreach (var node in graph.Node)
            {
                foreach (string output in node.Output) _producers[output] = node;
                foreach (string input in node.Input)
                {
                    if (!_readers.TryGetValue(input, out var list)) _readers[input] = list = [];
                    list.Add(node);
                }
                if (Is(node, "Constant") && node.Attribute.FirstOrDefault(a => a.Name == "value") is { T: { } value }) _constants[node.Output[0]] = value;
            }
        }

        public bool IsInt32(string input) => _inputs[input].Type.TensorType.ElemType == (int)TensorProto.Types.DataType.Int32;

        /// <summary>
        /// The <c>DynamicQuantizeMatMul</c> (symmetric weights, with a bias) whose output a <c>Split</c> along the last
        /// axis cuts into exactly the block's query, key and value, in that order; otherwise null.
        /// </summary>
        public NodeProto? QuantizedProjections(Block block)
        {
            if (Producer(block.Query, "Split") is not { } split || !split.Output.SequenceEqual([block.Query, block.Key, block.Value]) ||
                split.Attribute.FirstOrDefault(a => a.Name == "axis")?.I is not (-1 or 2))
                return null;
            return _producers.TryGetValue(split.Input[0], out var product) && product.OpType == "DynamicQuantizeMatMul" && product.Domain == MicrosoftDomain &&
                   product.Input.Count == 5 && product.Input[3].Length == 0 && product.Input[4].Length > 0
                ? product
                : null;
        }

        public Block? Match(NodeProto softmax, long opset)
        {
            // Softmax over the keys: the last axis of [b, h, s, s] (before opset 13 the default axis is 1).
            long? axis = softmax.Attribute.FirstOrDefault(a => a.Name == "axis")?.I;
            if (!(axis is -1 or 3 || (axis is null && opset >= 13))) return null;

            if (Producer(softmax.Input[0], "Add") is not { Input.Count: 2 } masked) return null;
            int scoresSide = ScaledProduct(masked.Input[0], out _) is not null ? 0 : 1;
            if (ScaledProduct(masked.Input[scoresSide], out float scale) is not { } scores ||
                !KeyPaddingMask(masked.Input[1 - scoresSide], out string maskInput, out float maskValue))
                return null;

            if (!Heads(scores.Input[0], [0, 2, 1, 3], out string query, out int heads, out int size) ||
                !Heads(scores.Input[1], [0, 2, 3, 1], out string key, out int keyHeads, out int keySize) || (keyHeads, keySize) != (heads, size))
                return null;

            if (Reader(softmax.Output[0], "MatMul") is not { } weighted || weighted.Input[0] != softmax.Output[0] ||
                !Heads(weighted.Input[1], [0, 2, 1, 3], out string value, out int valueHeads, out int valueSize) || (valueHeads, valueSize) != (heads, size))
                return null;
            if (Reader(weighted.Output[0], "Transpose") is not { } back || !Permutes(back, [0, 2, 1, 3]) ||
                Reader(back.Output[0], "Reshape") is not { } merged || merged.Input[0] != back.Output[0] ||
                !IsShape(merged.Input[1], back.Output[0], [heads * size]))
                return null;

            return new Block(query, key, value, merged, heads, scale, maskInput, maskValue);
        }

        /// <summary>The MatMul whose product <paramref name="tensor"/> is divided by a constant scalar c (scale 1/c) or multiplied by one (scale c); otherwise null.</summary>
        private NodeProto? ScaledProduct(string tensor, out float scale)
        {
            scale = 0;
            if (Producer(tensor, "Div") is { Input.Count: 2 } div && Scalar(div.Input[1]) is { } divisor && divisor != 0 &&
                Producer(div.Input[0], "MatMul") is { } quotient)
            {
                scale = 1 / divisor;
                return quotient;
            }
            if (Producer(tensor, "Mul") is not { Input.Count: 2 } mul) return null;
            for (int i = 0; i < 2; i++)
            {
                if (Scalar(mul.Input[i]) is { } factor && Producer(mul.Input[1 - i], "MatMul") is { } product)
                {
                    scale = factor;
                    return product;
                }
            }
            return null;
        }

        /// <summary>
        /// (1 − float(m[:, None, None, :])) · f with m a graph input [batch, seq]: the padded keys (m = 0) get f added to
        /// their scores, the others 0.
        /// </summary>
        private bool KeyPaddingMask(string tensor, out string input, out float value)
        {
            input = "";
            value = 0;
            if (Producer(tensor, "Mul") is not { Input.Count: 2 } mul) return false;
            int side = Scalar(mul.Input[1]) is not null ? 1 : Scalar(mul.Input[0]) is not null ? 0 : -1;
            if (side < 0 || Producer(mul.Input[1 - side], "Sub") is not { Input.Count: 2 } sub || Scalar(sub.Input[0]) != 1f) return false;
            if (Producer(sub.Input[1], "Cast") is not { } cast || cast.Attribute.FirstOrDefault(a => a.Name == "to")?.I != (int)TensorProto.Types.DataType.Float) return false;

            // m[:, None, None, :]: one Unsqueeze of axes [1, 2], or axis 1 then axis 2.
            string expanded = cast.Input[0];
            if (Producer(expanded, "Unsqueeze") is not { } outer) return false;
            var axes = Axes(outer);
            string source = outer.Input[0];
            if (axes.SequenceEqual([2L]) && Producer(source, "Unsqueeze") is { } inner && Axes(inner).SequenceEqual([1L]))
                source = inner.Input[0];
            else if (!axes.SequenceEqual([1L, 2L]))
                return false;
            if (!_inputs.TryGetValue(source, out var info) || info.Type.TensorType is not { } type || type.Shape?.Dim.Count != 2 ||
                type.ElemType is not ((int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32))
                return false;

            input = source;
            value = Scalar(mul.Input[side])!.Value;
            return true;
        }

        /// <summary>
        /// Transpose(Reshape(x, [b, s, h, d])) with the given permutation, x [b, s, h·d]: x, h and d.
        /// </summary>
        private bool Heads(string tensor, long[] permutation, out string source, out int heads, out int size)
        {
            source = "";
            heads = size = 0;
            if (Producer(tensor, "Transpose") is not { } transpose || !Permutes(transpose, permutation) ||
                Producer(transpose.Input[0], "Reshape") is not { Input.Count: 2 } reshape)
                return false;
            var tail = ShapeTail(reshape.Input[1], reshape.Input[0], 2);
            if (tail is not [> 0 and <= int.MaxValue, > 0 and <= int.MaxValue]) return false;
            source = reshape.Input[0];
            (heads, size) = ((int)tail[0], (int)tail[1]);
            return true;
        }

        /// <summary>Whether <paramref name="shape"/> is [x.dim0, x.dim1, <paramref name="tail"/>…].</summary>
        private bool IsShape(string shape, string x, long[] tail) => ShapeTail(shape, x, tail.Length)?.SequenceEqual(tail) == true;

        /// <summary>
        /// The constant last <paramref name="count"/> entries of a shape that keeps the first two dimensions of
        /// <paramref name="x"/>: a constant [0, 0, …] (Reshape's 0 copies the dimension), or a Concat of x's dimensions 0
        /// and 1 (each Unsqueeze(Gather(Shape(x), i))) and constants; otherwise null.
        /// </summary>
        private long[]? ShapeTail(string shape, string x, int count)
        {
            if (Int64s(shape) is { } constant)
                return constant.Length == count + 2 && constant[0] == 0 && constant[1] == 0 ? constant[2..] : null;
            if (Producer(shape, "Concat") is not { } concat || concat.Input.Count != count + 2) return null;
            for (int i = 0; i < 2; i++)
            {
                if (Producer(concat.Input[i], "Unsqueeze") is not { } unsqueeze || !Axes(unsqueeze).SequenceEqual([0L]) ||
                    Producer(unsqueeze.Input[0], "Gather") is not { } gather || (gather.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0) != 0 ||
                    Int64s(gather.Input[1]) is not [var index] || index != i ||
                    Producer(gather.Input[0], "Shape") is not { } shapeOf || shapeOf.Input[0] != x || shapeOf.Attribute.Count > 0)
                    return null;
            }
            var tail = new long[count];
            for (int i = 0; i < count; i++)
            {
                if (Int64s(concat.Input[i + 2]) is not [var dimension]) return null;
                tail[i] = dimension;
            }
            return tail;
        }

        private static bool Permutes(NodeProto transpose, long[] permutation) =>
            transpose.Attribute.FirstOrDefault(a => a.Name == "perm") is { } perm && perm.Ints.SequenceEqual(permutation);

        /// <summary>An Unsqueeze's axes: its attribute (before opset 13) or its constant second input.</summary>
        private long[] Axes(NodeProto unsqueeze) =>
            unsqueeze.Attribute.FirstOrDefault(a => a.Name == "axes") is { } attribute ? [.. attribute.Ints]
            : unsqueeze.Input.Count > 1 ? Int64s(unsqueeze.Input[1]) ?? [] : [];

        private NodeProto? Producer(string tensor, string opType) =>
            _producers.TryGetValue(tensor, out var node) && Is(node, opType) ? node : null;

        /// <summary>The one reader of <paramref name="tensor"/> of type <paramref name="opType"/> (others may be Shape nodes only).</summary>
        private NodeProto? Reader(string tensor, string opType)
        {
            if (!_readers.TryGetValue(tensor, out var readers)) return null;
            var matching = readers.Where(n => Is(n, opType)).ToList();
            return matching.Count == 1 && readers.All(n => n == matching[0] || Is(n, "Shape")) ? matching[0] : null;
        }

        /// <summary>A constant holding one float, else null.</summary>
        private float? Scalar(string tensor)
        {
            if (!_constants.TryGetValue(tensor, out var t) || t.DataType != (int)TensorProto.Types.DataType.Float || t.Dims.Aggregate(1L, (a, b) => a * b) != 1) return null;
            return t.RawData.Length == 4 ? BitConverter.ToSingle(t.RawData.Span) : t.FloatData.Count == 1 ? t.FloatData[0] : null;
        }

        /// <summary>A constant int64 tensor's values, else null.</summary>
        private long[]? Int64s(string tensor)
        {
            if (!_constants.TryGetValue(tensor, out var t) || t.DataType != (int)TensorProto.Types.DataType.Int64) return null;
            return t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : [.. t.Int64Data];
        }
    }
}
