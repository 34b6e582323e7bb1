using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BitSieve.Cli.Data;
using CsCheck;

namespace BitSieve.Cli.Tests;

public sealed class VecsFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Fvecs_round_trips_bit_for_bit()
    {
        Gen.Int[1, 40].SelectMany(d => Gen.Int[1, 20].SelectMany(n => Gen.Float.Array[d * n].Select(a => (d, n, a))))
            .Sample(t =>
            {
                var (d, n, values) = t;
                string path = _dir.File(Guid.NewGuid().ToString("N") + ".fvecs");
                VecsFile.WriteFvecs(path, values, d);
                Assert.Equal(n * (4 + 4L * d), new FileInfo(path).Length);
                var read = VecsFile.ReadFvecs(path);
                Assert.Equal(n, read.Rows);
                Assert.Equal(d, read.Dimension);
                // Bitwise, so NaN payloads and -0 count too.
                Assert.Equal(MemoryMarshal.Cast<float, int>(values).ToArray(), MemoryMarshal.Cast<float, int>(read.Data).ToArray());
            }, iter: 200);
    }

    [Fact]
    public void Ivecs_round_trips()
    {
        Gen.Int[1, 120].SelectMany(d => Gen.Int[1, 10].SelectMany(n => Gen.Int.Array[d * n].Select(a => (d, n, a))))
            .Sample(t =>
            {
                var (d, n, values) = t;
                string path = _dir.File(Guid.NewGuid().ToString("N") + ".ivecs");
                VecsFile.WriteIvecs(path, values, d);
                var read = VecsFile.ReadIvecs(path);
                Assert.Equal((n, d), (read.Rows, read.Dimension));
                Assert.Equal(values, read.Data);
                Assert.Equal(values.AsSpan(d * (n - 1), d).ToArray(), read.Row(n - 1).ToArray());
            }, iter: 200);
    }

    [Fact]
    public void Files_spanning_several_read_chunks_round_trip()
    {
        // 2.8 MB: three 1 MiB chunks, the last one partial.
        int d = 1000;
        var values = new float[700 * d];
        for (int i = 0; i < values.Length; i++) values[i] = i;
        string path = _dir.File("chunks.fvecs");
        VecsFile.WriteFvecs(path, values, d);
        Assert.Equal(values, VecsFile.ReadFvecs(path).Data);
    }

    [Fact]
    public void Ragged_ivecs_writer_writes_each_row_with_its_own_count()
    {
        string path = _dir.File("ragged.ivecs");
        VecsFile.WriteIvecs(path, [[1, 2, 3], [4, 5, 6]]);
        Assert.Equal([1, 2, 3, 4, 5, 6], VecsFile.ReadIvecs(path).Data);

        VecsFile.WriteIvecs(path, [[1, 2, 3], [4]]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(16 + 8, bytes.Length);
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16)));
    }

    [Fact]
    public void Empty_file_is_rejected()
    {
        string path = Write("empty.fvecs");
        AssertMalformed(path, "empty");
    }

    [Fact]
    public void File_shorter_than_a_header_is_rejected()
    {
        string path = _dir.File("short.fvecs");
        File.WriteAllBytes(path, [4, 0]);
        AssertMalformed(path, "truncated");
    }

    [Fact]
    public void Truncated_last_row_is_rejected()
    {
        string path = Write("truncated.fvecs", Row(4, 1, 2, 3, 4), Row(4, 1, 2, 3));
        AssertMalformed(path, "truncated last row: row 1");
    }

    [Fact]
    public void Header_only_is_a_truncated_row()
    {
        string path = Write("header.ivecs", Header(3));
        AssertMalformed(path, "truncated last row: row 0", ivecs: true);
    }

    [Fact]
    public void Row_with_another_dimension_is_rejected()
    {
        // The tail is ragged, yet the error names the differing dimension rather than truncation.
        string path = Write("mismatch.fvecs", Row(4, 1, 2, 3, 4), Row(3, 1, 2, 3));
        AssertMalformed(path, "row 1 declares dimension 3, but row 0 declares 4");
    }

    [Fact]
    public void Row_with_another_dimension_is_rejected_when_the_length_still_divides()
    {
        // Three rows of 2 are 36 bytes; so are a row of 2, a row claiming 3 with 2 values, and a third row.
        string path = Write("mismatch2.ivecs", Row(2, 1, 2), Row(3, 1, 2), Row(2, 1, 2));
        AssertMalformed(path, "row 1 declares dimension 3", ivecs: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(65537)]
    [InlineData(int.MaxValue)]
    public void Dimension_out_of_range_is_rejected(int dimension)
    {
        string path = Write($"dim{dimension}.fvecs", Header(dimension), new byte[64]);
        AssertMalformed(path, $"row 0 declares dimension {dimension}");
        AssertMalformed(path, $"row 0 declares dimension {dimension}", ivecs: true);
    }

    [Fact]
    public void Missing_file_throws_file_not_found_naming_it()
    {
        string path = _dir.File("absent.fvecs");
        var e = Assert.Throws<FileNotFoundException>(() => VecsFile.ReadFvecs(path));
        Assert.Contains("absent.fvecs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Take_keeps_the_first_rows()
    {
        var matrix = new VecsMatrix<int>([1, 2, 3, 4, 5, 6], 3, 2);
        Assert.Equal([1, 2, 3, 4], matrix.Take(2).Data);
        Assert.Same(matrix, matrix.Take(3));
        Assert.Same(matrix, matrix.Take(10));
    }

    private void AssertMalformed(string path, string reason, bool ivecs = false)
    {
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            if (ivecs) VecsFile.ReadIvecs(path);
            else VecsFile.ReadFvecs(path);
        });
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private string Write(string name, params byte[][] parts)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, parts.SelectMany(p => p).ToArray());
        return path;
    }

    private static byte[] Header(int dimension)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, dimension);
        return bytes;
    }

    private static byte[] Row(int declared, params float[] values)
        => [.. Header(declared), .. MemoryMarshal.AsBytes(values.AsSpan()).ToArray()];
}
