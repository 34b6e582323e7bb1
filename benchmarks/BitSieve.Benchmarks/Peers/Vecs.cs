using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BitSieve.Benchmarks.Peers;

/// <summary>
/// The TexMex vector files: <c>.fvecs</c> (float32) and <c>.ivecs</c> (int32), each row a little-endian int32 width
/// followed by that many 4-byte values; every row of a file has the same width.
/// </summary>
internal static class Vecs
{
    /// <summary>Reads a whole file: its values row-major, the number of rows and their width.</summary>
    /// <exception cref="InvalidDataException">The file is empty, its rows differ in width, or it ends inside a row.</exception>
    public static (T[] Values, int Rows, int Width) Read<T>(string path) where T : unmanaged
    {
        using var stream = File.OpenRead(path);
        Span<byte> header = stackalloc byte[4];
        stream.ReadExactly(header);
        int width = BinaryPrimitives.ReadInt32LittleEndian(header);
        long rowBytes = 4 + 4L * width;
        if (width <= 0 || stream.Length % rowBytes != 0)
            throw new InvalidDataException($"{path}: a first row of width {width} does not divide its {stream.Length} bytes into rows.");
        int rows = checked((int)(stream.Length / rowBytes));
        var values = new T[checked(rows * width)];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        stream.Position = 0;
        for (int row = 0; row < rows; row++)
        {
            stream.ReadExactly(header);
            if (BinaryPrimitives.ReadInt32LittleEndian(header) != width)
                throw new InvalidDataException($"{path}: row {row} is not {width} wide.");
            stream.ReadExactly(bytes.Slice(row * width * 4, width * 4));
        }
        return (values, rows, width);
    }
}
