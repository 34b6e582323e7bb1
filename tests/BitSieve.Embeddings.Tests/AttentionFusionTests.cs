using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Xunit.Abstractions;

namespace BitSieve.Embeddings.Tests;

/// <summary>
/// The attention fusion on an attention block written node for node as <c>torch.onnx</c> exports BERT's, and on the
/// built-in models: the fused node computes the same function, up to float rounding.
/// </summary>
public sealed class AttentionFusionTests(ITestOutputHelper output)
{
    private const int Batch = 3, Sequence = 7, Heads = 4, HeadSize = 8, Hidden = Heads * HeadSize;

    [Theory]
    [InlineData(13, -10000f)] // Unsqueeze axes as inputs (MiniLM's export)
    [InlineData(11, float.MinValue)] // Unsqueeze axes as attributes, the mask at float's lowest (Arctic-embed's export)
    public void A_fused_attention_matches_the_exported_subgraph(int opset, float maskValue)
    {
        var graph = AttentionGraph(opset, maskValue, out var inputs);
        byte[] reference = ModelOf(graph.Clone(), opset);

        Assert.Equal(1, AttentionFusion.Fuse(graph, opset));
        Assert.Equal(["Cast", "MultiHeadAttention"], graph.Node.Select(n => n.OpType));
        byte[] fused = ModelOf(graph, opset);

        // The reference as written, without ONNX Runtime's own fusions, so that it is not fused alike.
        var expected = Run(reference, inputs, GraphOptimizationLevel.ORT_DISABLE_ALL);
        var actual = Run(fused, inputs, GraphOptimizationLevel.ORT_ENABLE_ALL);
        // Each output is a convex combination of V's rows (|v| ≤ 1 here); the fused kernel scales Q·Kᵀ by 1/c instead of
        // dividing, and sums in another order, so it may differ by a few float ulps of the scores, far below 1e-5. A wrong
        // head split, scale or mask moves outputs by a sizeable part of |v|.
        double largest = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"opset {opset}: largest difference {largest:E2}");
        Assert.True(largest < 1e-5, $"largest difference {largest:E2}");
    }

    [Fact]
    public void An_attention_masked_otherwise_is_left_as_it_is()
    {
        // The mask is a float graph input added to the scores, not built from a key-padding mask: not this pattern.
        var graph = AttentionGraph(13, -10000f, out _);
        var masked = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains("mask_additive"));
        masked.Input[masked.Input.IndexOf("mask_additive")] = "free_mask";
        graph.Input.Add(Value("free_mask", TensorProto.Types.DataType.Float, Batch, 1, 1, Sequence));
        int nodes = graph.Node.Count;

        Assert.Equal(0, AttentionFusion.Fuse(graph, 13));
        Assert.Equal(nodes, graph.Node.Count);
        Assert.Contains(graph.Node, n => n.OpType == "Softmax");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Int8_query_key_and_value_join_the_attention(bool valueInt8)
    {
        // A → three products with biases → Q, K, V → attention → Y; Q, K, V are outputs too, so the products run and
        // what the fused attention made of them can be checked against the exported attention on the very same values.
        var random = new Random(valueInt8 ? 3 : 4);
        float[] Values(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        var graph = new GraphProto { Name = "block" };
        foreach (string x in (string[])["Q", "K", "V"])
        {
            graph.Node.Add(new NodeProto { Name = x + "_product", OpType = "MatMul", Input = { "A", "W" + x }, Output = { x + "_unbiased" } });
            graph.Node.Add(new NodeProto { Name = x + "_bias", OpType = "Add", Input = { "B" + x, x + "_unbiased" }, Output = { x } });
            graph.Initializer.Add([FloatTensor("W" + x, Values(Hidden * Hidden, 0.3), Hidden, Hidden), FloatTensor("B" + x, Values(Hidden, 0.5), Hidden)]);
        }
        AddAttention(graph, 13, -10000f);
        graph.Input.Add([Value("A", TensorProto.Types.DataType.Float, Batch, Sequence, Hidden), Value("attention_mask", TensorProto.Types.DataType.Int64, Batch, Sequence)]);
        graph.Output.Add(new[] { "Y", "Q", "K", "V" }.Select(x => Value(x, TensorProto.Types.DataType.Float, Batch, Sequence, Hidden)));

        string[] layers = valueInt8 ? ["Q_product", "K_product", "V_product"] : ["Q_product", "K_product"];
        var rewritten = ModelProto.Parser.ParseFrom(Int8Rewriter.Rewrite(ModelOf(graph, 13), layers));
        var attention = Assert.Single(rewritten.Graph.Node, n => n.Domain == "com.microsoft" && n.OpType.Contains("Attention"));
        Assert.Equal(valueInt8 ? "QAttention" : "MultiHeadAttention", attention.OpType);
        Assert.DoesNotContain(rewritten.Graph.Node, n => n.OpType == "Softmax");

        var a = Values(Batch * Sequence * Hidden, 1.5);
        var mask = PaddingMask();
        using var session = new InferenceSession(rewritten.ToByteArray());
        using var aValue = OrtValue.CreateTensorValueFromMemory(a, [Batch, Sequence, Hidden]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [Batch, Sequence]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["A", "attention_mask"], [aValue, maskValue], ["Y", "Q", "K", "V"]);
        var values = outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();

        var reference = new GraphProto { Name = "attention" };
        AddAttention(reference, 13, -10000f);
        reference.Input.Add(new[] { "Q", "K", "V" }.Select(x => Value(x, TensorProto.Types.DataType.Float, Batch, Sequence, Hidden)));
        reference.Input.Add(Value("attention_mask", TensorProto.Types.DataType.Int64, Batch, Sequence));
        reference.Output.Add(Value("Y", TensorProto.Types.DataType.Float, Batch, Sequence, Hidden));
        var expected = Run(ModelOf(reference, 13), new AttentionInputs(values[1], values[2], values[3], mask), GraphOptimizationLevel.ORT_DISABLE_ALL);

        // Y is a convex combination of V's rows: float rounding of scores of size |q|·|k| moves it by far less than
        // 1e-5 of V's scale, while a different quantization (another activation scale, weight or bias) moves it by
        // about int8's step, over 1e-3 of it.
        double scale = values[3].Max(Math.Abs), largest = expected.Zip(values[0], (e, y) => Math.Abs(e - y)).Max();
        output.WriteLine($"{attention.OpType}: largest difference {largest:E2} of |V| ≤ {scale:F2}");
        Assert.True(largest < 1e-5 * scale, $"largest difference {largest:E2}");
    }

    [Theory]
    [InlineData(BuiltInModels.MiniLm)]
    [InlineData(BuiltInModels.ArcticXs)]
    public void Every_attention_of_the_built_in_models_is_fused_and_embeds_as_before(string name)
    {
        // The fusion alone on the float32 model (the rewriter applies it to int8 models, where it cannot be told apart
        // from the int8 error): every block fused, and the embeddings of the calibration sentences within float rounding.
        var source = BuiltInModels.Load(name);
        var bytes = source.ReadBytes();
        var proto = ModelProto.Parser.ParseFrom(bytes.Model);
        long opset = proto.OpsetImport.Single(o => o.Domain.Length == 0).Version;
        Assert.Equal(6, AttentionFusion.Fuse(proto.Graph, opset));
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType is "Softmax" or "Transpose");
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var fusedBytes = bytes with { Model = proto.ToByteArray() };

        var texts = CalibrationText.BuiltIn();
        using var plain = new OnnxEmbeddingGenerator(source with { ReadBytes = () => bytes }, new OnnxEmbeddingOptions());
        using var fused = new OnnxEmbeddingGenerator(source with { ContentHash = fusedBytes.ContentHash(), ReadBytes = () => fusedBytes }, new OnnxEmbeddingOptions());
        var (mean, worst) = PrecisionPlanner.Errors(plain.Embed(texts, isQuery: false, out _), fused.Embed(texts, isQuery: false, out _));
        output.WriteLine($"{name}: 1 - cosine mean {mean:E2}, worst {worst:E2}");
        Assert.True(worst < 1e-6, $"worst 1 - cosine {worst:E2}");
    }

    /// <summary>
    /// One self-attention as torch.onnx writes BERT's, Q, K, V [batch, seq, hidden] and attention_mask [batch, seq] its
    /// inputs: the key-padding mask (1 − mask) · <paramref name="maskValue"/>, the heads split by Reshape(Concat(Shape…))
    /// and Transpose, softmax(Q·Kᵀ / √d + mask)·V, the heads merged back. The rows of the batch are padded differently.
    /// </summary>
    private static GraphProto AttentionGraph(int opset, float maskValue, out AttentionInputs inputs)
    {
        var graph = new GraphProto { Name = "attention" };
        AddAttention(graph, opset, maskValue);
        foreach (string x in (string[])["Q", "K", "V"]) graph.Input.Add(Value(x, TensorProto.Types.DataType.Float, Batch, Sequence, Hidden));
        graph.Input.Add(Value("attention_mask", TensorProto.Types.DataType.Int64, Batch, Sequence));
        graph.Output.Add(Value("Y", TensorProto.Types.DataType.Float, Batch, Sequence, Hidden));

        var random = new Random(opset);
        float[] Values(double scale) => Enumerable.Range(0, Batch * Sequence * Hidden).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        // Scores up to about ±8 after the scaling: a sharp softmax, where a wrong scale shows.
        inputs = new AttentionInputs(Values(2), Values(2), Values(1), PaddingMask());
        return graph;
    }

    /// <summary>The rows of the batch padded differently: 7, 4 and 2 tokens of 7.</summary>
    private static long[] PaddingMask()
    {
        int[] lengths = [Sequence, 4, 2];
        var attention = new long[Batch * Sequence];
        for (int b = 0; b < Batch; b++) attention.AsSpan(b * Sequence, lengths[b]).Fill(1);
        return attention;
    }

    /// <summary>The attention's nodes, reading tensors Q, K, V and attention_mask, writing Y.</summary>
    private static void AddAttention(GraphProto graph, int opset, float maskValue)
    {
        int constants = 0;
        string Constant(TensorProto value)
        {
            string name = $"constant_{constants++}";
            var node = new NodeProto { Name = name, OpType = "Constant" };
            node.Output.Add(name);
            node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
            graph.Node.Add(node);
            return name;
        }
        string Longs(params long[] values)
        {
            var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Dims.Add(values.Length);
            tensor.Int64Data.Add(values);
            return Constant(tensor);
        }
        string Scalar(float value) => Constant(new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, FloatData = { value } });
        string Add(string opType, string output, string[] inputNames, params AttributeProto[] attributes)
        {
            var node = new NodeProto { Name = output, OpType = opType };
            node.Input.Add(inputNames);
            node.Output.Add(output);
            node.Attribute.Add(attributes);
            graph.Node.Add(node);
            return output;
        }
        AttributeProto Ints(string name, params long[] values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };
        string Unsqueeze(string output, string input, long axis) =>
            opset >= 13 ? Add("Unsqueeze", output, [input, Longs(axis)]) : Add("Unsqueeze", output, [input], Ints("axes", axis));
        string Dimension(string x, long index, string output) =>
            Unsqueeze(output, Add("Gather", output + "_gather", [Add("Shape", output + "_shape", [x]), Constant(new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { index } })]), 0);
        string SplitHeads(string x, long[] permutation)
        {
            string shape = Add("Concat", x + "_heads_shape", [Dimension(x, 0, x + "_b"), Dimension(x, 1, x + "_s"), Longs(Heads), Longs(HeadSize)],
                new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
            return Add("Transpose", x + "_heads", [Add("Reshape", x + "_reshaped", [x, shape])], Ints("perm", permutation));
        }

        string expanded = Unsqueeze("mask_2", Unsqueeze("mask_1", "attention_mask", 1), 2);
        string floating = Add("Cast", "mask_float", [expanded], new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
        string mask = Add("Mul", "mask_additive", [Add("Sub", "mask_inverted", [Scalar(1), floating]), Scalar(maskValue)]);
        string scores = Add("MatMul", "scores", [SplitHeads("Q", [0, 2, 1, 3]), SplitHeads("K", [0, 2, 3, 1])]);
        string scaled = Add("Div", "scaled", [scores, Scalar(MathF.Sqrt(HeadSize))]);
        string probabilities = Add("Softmax", "probabilities", [Add("Add", "masked", [scaled, mask])],
            new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = opset >= 13 ? -1 : 3 });
        string context = Add("Transpose", "context_t", [Add("MatMul", "context", [probabilities, SplitHeads("V", [0, 2, 1, 3])])], Ints("perm", 0, 2, 1, 3));
        string merged = Add("Concat", "merged_shape", [Dimension(context, 0, "ctx_b"), Dimension(context, 1, "ctx_s"), Longs(Hidden)],
            new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        Add("Reshape", "Y", [context, merged]);
    }

    private static byte[] ModelOf(GraphProto graph, long opset)
    {
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model.ToByteArray();
    }

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        tensor.FloatData.Add(values);
        return tensor;
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    /// <summary>Q, K, V [batch, seq, hidden] and the attention mask [batch, seq].</summary>
    private sealed record AttentionInputs(float[] Q, float[] K, float[] V, long[] Mask);

    private static float[] Run(byte[] model, AttentionInputs inputs, GraphOptimizationLevel optimization)
    {
        long[] shape = [Batch, Sequence, Hidden];
        using var options = new SessionOptions { GraphOptimizationLevel = optimization };
        using var session = new InferenceSession(model, options);
        using var q = OrtValue.CreateTensorValueFromMemory(inputs.Q, shape);
        using var k = OrtValue.CreateTensorValueFromMemory(inputs.K, shape);
        using var v = OrtValue.CreateTensorValueFromMemory(inputs.V, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(inputs.Mask, [Batch, Sequence]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["Q", "K", "V", "attention_mask"], [q, k, v, mask], ["Y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
