using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using BitSieve.Embeddings.Onnx.Quantization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace BitSieve.Embeddings.Tests;

/// <summary>
/// Smoothing of activation outliers on graphs built here: in float32 it is the same function, in int8 it brings a product
/// with outlier input channels closer to float, and a smoothed plan has its own key and survives a collection's stored form.
/// </summary>
public sealed class SmoothingTests
{
    private const int Rows = 32, Inner = 96, Outer = 40;

    [Fact]
    public void Smoothing_alone_leaves_the_float_model_the_same_function()
    {
        // Three products of one activation (a MatMul with a bias Add, a MatMul, a transposed Gemm) and another reader of
        // the activation (a residual Add), which must keep reading it unscaled.
        var random = new Random(21);
        var graph = SharedInputGraph(random);
        byte[] model = ModelOf(graph);
        var maxima = new Dictionary<string, float[]>
        {
            ["q"] = Values(random, Inner, 1, positive: true),
            ["k"] = Values(random, Inner, 1, positive: true),
            ["g"] = Values(random, Inner, 1, positive: true),
        };
        maxima["k"][3] = 40; // an outlier channel: its s is far from 1

        byte[] smoothed = Int8Rewriter.Smooth(model, maxima);
        var nodes = ModelProto.Parser.ParseFrom(smoothed).Graph.Node;
        Assert.Equal(1, nodes.Count(n => n.OpType == "Mul"));
        Assert.Equal(["A", "A"], nodes.Single(n => n.Name == "residual").Input.Take(2));

        var a = Values(random, Rows * Inner, 2);
        a[3] = 35; // the outlier channel of one row
        var expected = Run(model, a);
        var actual = Run(smoothed, a);
        for (int o = 0; o < expected.Length; o++)
        {
            for (int i = 0; i < expected[o].Length; i++)
            {
                // X·W against (X/s)·(s·W): two float roundings per term more, relative to the summed magnitudes.
                float scale = 1 + Math.Abs(expected[o][i]);
                Assert.True(Math.Abs(expected[o][i] - actual[o][i]) <= 1e-5f * scale * Inner, $"output {o}, element {i}: {expected[o][i]} vs {actual[o][i]}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_smoothed_int8_product_is_closer_to_float_on_inputs_with_outlier_channels(int seed)
    {
        // As after a LayerNorm: most channels within ±1, a few channels 30–60× larger in every row (the same channels in
        // calibration and evaluation, different values).
        var random = new Random(seed);
        var outliers = Enumerable.Range(0, 4).Select(_ => random.Next(Inner)).ToArray();
        float[] Activations()
        {
            var a = Values(random, Rows * Inner, 1);
            foreach (int k in outliers)
            {
                float magnitude = 30 + 30 * (float)random.NextDouble();
                for (int r = 0; r < Rows; r++) a[r * Inner + k] *= magnitude;
            }
            return a;
        }
        var calibration = Activations();
        var maxima = new float[Inner];
        for (int i = 0; i < calibration.Length; i++) maxima[i % Inner] = Math.Max(maxima[i % Inner], Math.Abs(calibration[i]));

        var graph = new GraphProto { Name = "product" };
        graph.Node.Add(Node("MatMul", "m", ["A", "W"], "Y"));
        graph.Initializer.Add(Tensor("W", Values(random, Inner * Outer, 0.2), Inner, Outer));
        graph.Input.Add(Value("A", Inner));
        graph.Output.Add(Value("Y", Outer));
        byte[] model = ModelOf(graph);

        var a = Activations();
        var reference = Run(model, a)[0];
        double plain = Error(reference, Run(Int8Rewriter.Rewrite(model, ["m"]), a)[0]);
        double smoothed = Error(reference, Run(Int8Rewriter.Rewrite(model, ["m"], new Dictionary<string, float[]> { ["m"] = maxima }), a)[0]);
        Assert.True(smoothed < plain, $"smoothed error {smoothed:E3} is not below unsmoothed {plain:E3}");
    }

    [Fact]
    public void A_layer_smoothed_alone_is_measured_under_the_scale_a_plan_shares_among_the_readers_of_its_input()
    {
        // q, k and g read one activation: a plan smoothing them gives them one scale, from the largest weight row over
        // the three (k's weights are 4x q's), not q's own.
        var random = new Random(5);
        byte[] model = ModelOf(SharedInputGraph(random));
        var observed = Values(random, Inner, 1, positive: true);
        observed[3] = 40;
        var activation = new Dictionary<string, float[]> { ["q"] = observed, ["k"] = observed, ["g"] = observed };
        var a = Values(random, Rows * Inner, 2);
        a[3] = 35;

        float[] Q(byte[] rewritten) => Run(rewritten, a)[0];
        var applied = Q(Int8Rewriter.Rewrite(model, ["q", "k", "g"], activation));
        var measured = Q(PrecisionPlanner.SmoothedAlone(model, "q", activation));
        var ownScale = Q(Int8Rewriter.Rewrite(model, ["q"], activation)); // q smoothed by its own weight rows only
        double tolerance = 1e-5 * applied.Max(Math.Abs);
        double measuredOff = applied.Zip(measured, (x, y) => Math.Abs(x - y)).Max(), ownOff = applied.Zip(ownScale, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(measuredOff <= tolerance, $"measured alone, q is {measuredOff:E3} off its output in the plan (tolerance {tolerance:E3})");
        Assert.True(ownOff > 100 * tolerance, $"under its own scale q is only {ownOff:E3} off its output in the plan: the test shows nothing");
    }

    [Fact]
    public void A_smoothed_plan_has_its_own_key_and_is_stored_and_read_back_whole()
    {
        string[] layers = ["b", "a", "c"];
        var smoothing = new Dictionary<string, float[]> { ["a"] = [1.5f, 0.25f, 7f], ["c"] = [2f, float.Epsilon, 3e-7f], ["not in the plan"] = [1f] };
        var plain = QuantizationPlan.Of(layers);
        var smoothed = QuantizationPlan.Of(layers, smoothing);
        Assert.Equal(["a", "c"], smoothed.Smoothing!.Keys.Order());
        Assert.NotEqual(plain.Key, smoothed.Key);
        Assert.NotEqual(smoothed.Key, QuantizationPlan.Of(layers, new Dictionary<string, float[]> { ["a"] = [1.5f, 0.25f, 7.0000005f] }).Key);

        string stored = StoredPrecision.Encode(smoothed);
        Assert.True(StoredPrecision.TryDecode(stored, out var decoded));
        Assert.Equal(smoothed.Key, decoded!.Key);
        Assert.Equal(smoothing["c"], decoded.Smoothing!["c"]);
        Assert.Equal($"auto (plan {smoothed.Key})", StoredPrecision.Describe(stored));

        // The form stored before smoothing still reads as the unsmoothed plan; a damaged smoothing line reads as nothing.
        Assert.Equal("auto\na\nb\nc", StoredPrecision.Encode(plain));
        Assert.True(StoredPrecision.TryDecode("auto\na\nb\nc", out var old));
        Assert.Equal(plain.Key, old!.Key);
        Assert.Null(old.Smoothing);
        Assert.False(StoredPrecision.TryDecode("auto\na\n\na\tnot base64!", out _));
        Assert.False(StoredPrecision.TryDecode("auto\na\n\nz\tAAAAAA==", out _)); // smoothing for a layer the plan lacks
    }

    [Fact]
    public void A_smoothed_plan_keys_and_stores_its_maxima_as_little_endian_float32_on_every_machine()
    {
        // 1 and -2.5 as little-endian float32: 00 00 80 3F, 00 00 20 C0. The bytes written so far (on little-endian
        // machines) and these must stay the same, or stored precisions, plan files and cached models stop matching.
        var plan = QuantizationPlan.Of(["a"], new Dictionary<string, float[]> { ["a"] = [1f, -2.5f] });
        byte[] maxima = [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0];
        Assert.Equal("auto\na\n\na\t" + Convert.ToBase64String(maxima), StoredPrecision.Encode(plan));
        Assert.True(StoredPrecision.TryDecode("auto\na\n\na\tAACAPwAAIMA=", out var decoded));
        Assert.Equal([1f, -2.5f], decoded!.Smoothing!["a"]);
        byte[] keyed = [.. Encoding.UTF8.GetBytes("a\n\na\n"), .. maxima];
        Assert.Equal(Convert.ToHexStringLower(XxHash128.Hash(keyed))[..16], plan.Key);
    }

    [Fact]
    public void Smoothing_for_another_shape_is_refused()
    {
        var graph = new GraphProto { Name = "product" };
        graph.Node.Add(Node("MatMul", "m", ["A", "W"], "Y"));
        graph.Initializer.Add(Tensor("W", new float[Inner * Outer], Inner, Outer));
        graph.Input.Add(Value("A", Inner));
        graph.Output.Add(Value("Y", Outer));
        var error = Assert.Throws<ArgumentException>(() => Int8Rewriter.Rewrite(ModelOf(graph), ["m"], new Dictionary<string, float[]> { ["m"] = new float[Inner + 1] }));
        Assert.Contains("another model", error.Message);
    }

    private static GraphProto SharedInputGraph(Random random)
    {
        var transposed = Values(random, Outer * Inner, 0.3);
        var gemm = Node("Gemm", "g", ["A", "Wg", "Bg"], "G");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var graph = new GraphProto { Name = "shared" };
        graph.Node.Add([Node("MatMul", "q", ["A", "Wq"], "q_product"), Node("Add", "q_bias", ["q_product", "Bq"], "Q"),
                        Node("MatMul", "k", ["A", "Wk"], "K"), gemm, Node("Add", "residual", ["A", "A"], "R")]);
        graph.Initializer.Add([Tensor("Wq", Values(random, Inner * Outer, 0.5), Inner, Outer), Tensor("Bq", Values(random, Outer, 1), Outer),
                               Tensor("Wk", Values(random, Inner * Outer, 2), Inner, Outer), Tensor("Wg", transposed, Outer, Inner), Tensor("Bg", Values(random, Outer, 1), Outer)]);
        graph.Input.Add(Value("A", Inner));
        graph.Output.Add([Value("Q", Outer), Value("K", Outer), Value("G", Outer), Value("R", Inner)]);
        return graph;
    }

    /// <summary>1 − cosine of the whole output to the reference.</summary>
    private static double Error(float[] reference, float[] actual) => 1 - PrecisionPlanner.Cosine(reference, actual);

    private static float[] Values(Random random, int count, double scale, bool positive = false) =>
        Enumerable.Range(0, count).Select(_ => (float)((positive ? random.NextDouble() + 0.01 : random.NextDouble() * 2 - 1) * scale)).ToArray();

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, long columns)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = Rows });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = columns });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static byte[] ModelOf(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    private static float[][] Run(byte[] model, float[] a)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(a, [Rows, Inner]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["A"], [input], session.OutputNames);
        return [.. outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray())];
    }
}
