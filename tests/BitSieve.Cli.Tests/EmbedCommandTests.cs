using System.Net;
using System.Net.Sockets;
using System.Numerics.Tensors;
using System.Text.Json;
using BitSieve.Embeddings.Onnx;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary>
/// <c>bitsieve embed</c>: exactly the library's vectors, as JSON, plain floats or fvecs; one line per usage error. The
/// vectors are compared with the float32 model's, so these runs ask for <c>--precision fp32</c> (the default, auto, is
/// EmbedPrecisionTests's).
/// </summary>
public sealed class EmbedCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Json_prints_model_dimensions_and_a_round_trippable_vector_as_the_last_line()
    {
        const string text = "How do I list the files of a Debian package?";
        var (code, output, error) = await Run("embed", "--precision", "fp32", "--json", "--", text);

        Assert.True(code == ExitCodes.Ok, error);
        string last = output.TrimEnd('\n', '\r').Split('\n')[^1];
        Assert.StartsWith("{\"model\":\"minilm\",\"dimensions\":384,\"vector\":[", last, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(last);
        var root = json.RootElement;
        Assert.Equal(["model", "dimensions", "vector"], root.EnumerateObject().Select(p => p.Name));
        var vector = root.GetProperty("vector").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(384, vector.Length);
        // Exactly the library's vector: the printed floats round-trip.
        using var miniLm = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm);
        Assert.Equal(miniLm.Embed([text], false, out _)[0], vector);
    }

    [Fact]
    public async Task Text_file_and_query_work_and_the_plain_form_prints_one_line_of_floats()
    {
        string file = _dir.File("q.txt");
        File.WriteAllText(file, "how to open a file");
        var (code, output, error) = await Run("embed", "--model", "arctic-xs", "--precision", "fp32", "--query", "--text-file", file);

        Assert.True(code == ExitCodes.Ok, error);
        var vector = output.Trim().Split(' ').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        using var arcticXs = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.ArcticXs);
        Assert.Equal(arcticXs.Embed(["how to open a file"], true, out _)[0], vector);
        Assert.Contains("as a query", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_batch_mode_writes_fvecs_rows_in_line_order_and_reports_throughput()
    {
        string input = _dir.File("in.jsonl");
        string fvecs = _dir.File("out.fvecs");
        string[] texts = ["first line of text", "a second, longer line of text about sockets", "third"];
        File.WriteAllLines(input, texts.Select(t => JsonSerializer.Serialize(new { source = "test", text = t })).Append("{\"text\":\"beyond the limit\"}"));

        var (code, output, error) = await Run("embed", "--jsonl", input, "--limit", "3", "--fvecs-out", fvecs, "--batch-size", "2", "--threads", "1", "--precision", "fp32");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal("", output);
        Assert.Contains("3 texts", error, StringComparison.Ordinal);
        Assert.Contains("texts/s", error, StringComparison.Ordinal);
        var rows = Data.VecsFile.ReadFvecs(fvecs);
        Assert.Equal(3, rows.Rows);
        using var miniLm = OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm);
        var expected = miniLm.Embed(texts, false, out _);
        for (int i = 0; i < texts.Length; i++)
            Assert.True(TensorPrimitives.CosineSimilarity(expected[i], rows.Row(i)) > 0.99999f, $"row {i}");
    }

    [Theory]
    [InlineData("embed", "--limit", "3", "text")]
    [InlineData("embed", "--jsonl", "/no/such/file.jsonl")]
    [InlineData("embed", "--batch-size", "0", "text")]
    [InlineData("embed")]
    [InlineData("embed", "--text-file", "/no/such/file.txt")]
    [InlineData("embed", "--text-file", "/no/such/file.txt", "also an argument")]
    [InlineData("embed", "--model", "/no/such/model-folder", "text")]
    [InlineData("embed", "--model", "not-a-model", "text")]
    [InlineData("embed", "--max-tokens", "1", "text")]
    [InlineData("embed", "--unknown-option", "text")]
    public async Task Usage_errors_exit_2_with_one_line(params string[] args)
    {
        var (code, output, error) = await Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        if (args.Contains("/no/such/model-folder")) Assert.Contains("/no/such/model-folder", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_exits_1_naming_the_url()
    {
        int port = FreePort();
        var (code, _, error) = await Run("embed", "--model", $"http://127.0.0.1:{port}/v1#m", "text");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"http://127.0.0.1:{port}/v1/embeddings", error, StringComparison.Ordinal);
    }

    /// <summary>A loopback port nothing listens on (it was free a moment ago).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
