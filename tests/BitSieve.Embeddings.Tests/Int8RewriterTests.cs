using System.Runtime.InteropServices;
using BitSieve.Embeddings.Onnx;
using BitSieve.Embeddings.Onnx.Quantization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace BitSieve.Embeddings.Tests;

/// <summary>
/// The int8 rewriter on one-node graphs built here: the rewritten product runs in ONNX Runtime and stays within the error
/// that int8 weights (per column) and uint8 activations (per tensor) allow, derived below, never fitted.
/// </summary>
public sealed class Int8RewriterTests
{
    private const int Rows = 24, Inner = 96, Outer = 40;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void A_rewritten_product_matches_float_within_the_quantization_bound(int seed, bool gemm)
    {
        var random = new Random(seed);
        // Activations with an offset (as after LayerNorm + bias), weights with columns of very different scales, so
        // per-column scales matter.
        var a = Enumerable.Range(0, Rows * Inner).Select(_ => (float)(random.NextDouble() * 3 - 1)).ToArray();
        var w = new float[Inner * Outer];
        for (int j = 0; j < Outer; j++)
        {
            double columnScale = Math.Pow(10, random.NextDouble() * 3 - 2);
            for (int k = 0; k < Inner; k++) w[k * Outer + j] = (float)((random.NextDouble() * 2 - 1) * columnScale);
        }
        var bias = Enumerable.Range(0, Outer).Select(_ => (float)random.NextDouble()).ToArray();
        byte[] model = gemm ? GemmModel(w, bias) : MatMulModel(w);

        var layers = Int8Rewriter.FindLayers(model);
        var layer = Assert.Single(layers);
        Assert.Equal((Inner, Outer), (layer.Inner, layer.Outer));
        byte[] rewritten = Int8Rewriter.Rewrite(model, [layer.Name]);

        var expected = Run(model, a);
        var actual = Run(rewritten, a);

        // Bound, element (i, j). Activations: ORT's DynamicQuantizeLinear takes the range [min(0, min a), max(0, max a)],
        // s_a = range / 255, zero point z = round(−min/s_a); â_ik = s_a·(clamp(round(a_ik/s_a) + z, 0, 255) − z) is off
        // by at most s_a/2. Weights: s_j = max_k |w_kj| / 127, ŵ_kj = s_j·round(w_kj/s_j), off by at most s_j/2. The
        // integer product is exact, so
        //   |â·ŵ − a·w| = |Σ_k (â_ik − a_ik)·ŵ_kj + a_ik·(ŵ_kj − w_kj)| ≤ Σ_k (s_a/2)·|ŵ_kj| + |a_ik|·s_j/2,
        // plus float rounding: the float reference sums K products (≤ K·2⁻²⁴·Σ_k |a_ik·w_kj|), the int8 side scales
        // the exact int32 sum by s_a·s_j in float (a few ulps). The bias is added exactly alike on both sides up to an ulp.
        // That worst case adds every error with the same sign, so it is loose; the second check is tight: the kernel must
        // equal Σ_k â_ik·ŵ_kj computed here, up to float rounding and up to two activations landing on the other side
        // of a rounding boundary (2·s_a·max_k |ŵ_kj|), far less than a wrong weight scale or zero point would move it.
        float min = Math.Min(0, a.Min()), max = Math.Max(0, a.Max());
        float sa = (max - min) / 255f;
        float zero = MathF.Round(Math.Clamp(-min / sa, 0, 255), MidpointRounding.AwayFromZero);
        double Dequantized(float x) => sa * (Math.Clamp(MathF.Round(x / sa, MidpointRounding.ToEven) + zero, 0, 255) - zero);
        int violations = 0, emulationMisses = 0, differing = 0;
        for (int j = 0; j < Outer; j++)
        {
            double largest = 0;
            for (int k = 0; k < Inner; k++) largest = Math.Max(largest, Math.Abs(w[k * Outer + j]));
            double sj = (float)(largest / 127);
            for (int i = 0; i < Rows; i++)
            {
                double bound = 0, magnitude = 0, emulated = gemm ? bias[j] : 0, largestWeight = 0;
                for (int k = 0; k < Inner; k++)
                {
                    double wq = sj * Math.Round(w[k * Outer + j] / sj, MidpointRounding.ToEven);
                    bound += sa / 2.0 * Math.Abs(wq) + Math.Abs(a[i * Inner + k]) * sj / 2;
                    magnitude += Math.Abs(a[i * Inner + k] * w[k * Outer + j]);
                    emulated += Dequantized(a[i * Inner + k]) * wq;
                    largestWeight = Math.Max(largestWeight, Math.Abs(wq));
                }
                double rounding = (Inner + 8) * Math.Pow(2, -24) * (magnitude + (gemm ? bias[j] : 0)) + 1e-7;
                double error = Math.Abs(actual[i * Outer + j] - expected[i * Outer + j]);
                if (error > bound + rounding) violations++;
                if (Math.Abs(actual[i * Outer + j] - emulated) > 2 * sa * largestWeight + rounding) emulationMisses++;
                if (error > 0) differing++;
            }
        }
        Assert.Equal(0, emulationMisses);
        Assert.Equal(0, violations);
        Assert.True(differing > Rows * Outer / 2, $"only {differing} of {Rows * Outer} outputs differ from float32: the int8 kernel did not run");
    }

    [Fact]
    public void A_plan_naming_a_layer_the_model_lacks_is_refused()
    {
        byte[] model = MatMulModel(new float[Inner * Outer]);
        var error = Assert.Throws<ArgumentException>(() => Int8Rewriter.Rewrite(model, ["MatMul_34"]));
        Assert.Contains("another model", error.Message);
    }

    [Fact]
    public void An_empty_plan_returns_the_model_bytes_unchanged()
    {
        byte[] model = MatMulModel(new float[Inner * Outer]);
        Assert.Same(model, Int8Rewriter.Rewrite(model, []));
    }

    [Theory]
    [InlineData(17)] // Split's sizes as an input (opset 13 and later)
    [InlineData(11)] // Split's sizes as an attribute
    public void Products_sharing_an_input_become_one_product_and_a_split_with_their_biases_folded_in(int opset)
    {
        // A block's query, key and value: three products of one activation, two with a bias Add (bias first and
        // second, as exporters write either), one without.
        var random = new Random(11 + opset);
        float[] Values(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        var (wq, wk, wv) = (Values(Inner * Outer, 0.5), Values(Inner * Outer, 2), Values(Inner * Outer, 0.1));
        var (bq, bk) = (Values(Outer, 1), Values(Outer, 3));
        var graph = new GraphProto { Name = "shared" };
        graph.Node.Add([Node("MatMul", "q", ["A", "Wq"], "q_product"), Node("Add", "q_bias", ["Bq", "q_product"], "Q"),
                        Node("MatMul", "k", ["A", "Wk"], "k_product"), Node("Add", "k_bias", ["k_product", "Bk"], "K"),
                        Node("MatMul", "v", ["A", "Wv"], "V")]);
        graph.Initializer.Add([Tensor("Wq", wq, Inner, Outer), Tensor("Wk", wk, Inner, Outer), Tensor("Wv", wv, Inner, Outer), Tensor("Bq", bq, Outer), Tensor("Bk", bk, Outer)]);
        graph.Input.Add(Value("A", Rows, Inner));
        graph.Output.Add([Value("Q", Rows, Outer), Value("K", Rows, Outer), Value("V", Rows, Outer)]);
        byte[] model = ModelOf(graph, opset);

        byte[] fused = Int8Rewriter.Rewrite(model, ["q", "k", "v"]);
        var nodes = ModelProto.Parser.ParseFrom(fused).Graph.Node;
        Assert.Equal(["DynamicQuantizeMatMul", "Split"], nodes.Select(n => n.OpType));

        // Each output is what the product quantized alone gives: one activation scale for all three, the same integer
        // sums, the same column scales and biases.
        var a = Values(Rows * Inner, 1.5);
        string[] outputs = ["Q", "K", "V"];
        var together = Run(fused, a, outputs);
        foreach (var (layer, i) in new[] { ("q", 0), ("k", 1), ("v", 2) })
        {
            var alone = Run(Int8Rewriter.Rewrite(model, [layer]), a, outputs);
            Assert.Equal(alone[i], together[i]);
        }
        // And the float model agrees to within int8 error (the bound itself is the single-product test's).
        var reference = Run(model, a, outputs);
        for (int i = 0; i < 3; i++)
            Assert.True(PrecisionPlanner.Cosine(reference[i], together[i]) > 0.999, $"output {outputs[i]} is not the product it replaced");
    }

    [Fact]
    public void An_add_of_two_activations_stays_an_add()
    {
        // A residual: MatMul then Add of another activation, not a constant bias; it must stay as it is.
        var random = new Random(5);
        var w = Enumerable.Range(0, Inner * Outer).Select(_ => (float)random.NextDouble()).ToArray();
        var graph = new GraphProto { Name = "residual" };
        graph.Node.Add([Node("MatMul", "m", ["A", "W"], "product"), Node("Add", "residual", ["product", "R"], "Y")]);
        graph.Initializer.Add(Tensor("W", w, Inner, Outer));
        graph.Input.Add([Value("A", Rows, Inner), Value("R", Rows, Outer)]);
        graph.Output.Add(Value("Y", Rows, Outer));

        var nodes = ModelProto.Parser.ParseFrom(Int8Rewriter.Rewrite(ModelOf(graph, 17), ["m"])).Graph.Node;
        Assert.Equal(["DynamicQuantizeMatMul", "Add"], nodes.Select(n => n.OpType));
        Assert.Equal(["product", "R"], nodes[1].Input);
    }

    [Fact]
    public void The_rewritten_model_is_cached_by_source_hash_and_plan()
    {
        string folder = Path.Combine(Path.GetTempPath(), "bitsieve-rewrite-" + Guid.NewGuid().ToString("N"));
        try
        {
            var random = new Random(7);
            byte[] model = MatMulModel(Enumerable.Range(0, Inner * Outer).Select(_ => (float)random.NextDouble()).ToArray());
            var first = RewrittenModelCache.GetOrRewrite(model, "abc", QuantizationPlan.Uniform, folder);
            string file = Assert.Single(Directory.GetFiles(Path.Combine(folder, "models")));
            Assert.Equal($"abc-int8v{Int8Rewriter.Version}-all.onnx", Path.GetFileName(file));

            // A second load reads the file: prove it by changing the file and seeing the change come back.
            File.WriteAllBytes(file, [1, 2, 3]);
            Assert.Equal([1, 2, 3], RewrittenModelCache.GetOrRewrite(model, "abc", QuantizationPlan.Uniform, folder));
            Assert.Equal(first, RewrittenModelCache.GetOrRewrite(model, "abc", QuantizationPlan.Of(["MatMul"]), null));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Y = A·W with A [Rows, Inner] a graph input, W [Inner, Outer] an initializer.</summary>
    private static byte[] MatMulModel(float[] w)
    {
        var node = new NodeProto { Name = "MatMul", OpType = "MatMul" };
        node.Input.Add(["A", "W"]);
        node.Output.Add("Y");
        return Model(node, Tensor("W", w, Inner, Outer));
    }

    /// <summary>Y = A·Wᵀ + C with W stored [Outer, Inner] (transB = 1), as exporters write Linear layers.</summary>
    private static byte[] GemmModel(float[] w, float[] bias)
    {
        var transposed = new float[Outer * Inner];
        for (int k = 0; k < Inner; k++)
            for (int j = 0; j < Outer; j++) transposed[j * Inner + k] = w[k * Outer + j];
        var node = new NodeProto { Name = "Gemm", OpType = "Gemm" };
        node.Input.Add(["A", "W", "C"]);
        node.Output.Add("Y");
        node.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        return Model(node, Tensor("W", transposed, Outer, Inner), Tensor("C", bias, Outer));
    }

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static byte[] Model(NodeProto node, params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "product" };
        graph.Node.Add(node);
        graph.Initializer.Add(initializers);
        graph.Input.Add(Value("A", Rows, Inner));
        graph.Output.Add(Value("Y", Rows, Outer));
        return ModelOf(graph, 17);
    }

    private static byte[] ModelOf(GraphProto graph, long opset)
    {
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, long rows, long columns)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = rows });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = columns });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static float[][] Run(byte[] model, float[] a, string[] outputNames)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(a, [Rows, Inner]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["A"], [input], outputNames);
        return outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    private static float[] Run(byte[] model, float[] a)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(a, [Rows, Inner]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["A"], [input], ["Y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
