using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BitSieve.TestKit;

/// <summary>Reads TexMex <c>.fvecs</c>/<c>.ivecs</c> files: per row an int32 dimension, then the values.</summary>
public static class Vecs
{
    /// <summary>The first <paramref name="rows"/> rows of <paramref name="path"/>, row-major; every row must have <paramref name="dim"/> values.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A row's dimension is not <paramref name="dim"/>.</exception>
    public static T[] Read<T>(string path, int rows, int dim) where T : unmanaged
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Vector file missing: {path}", path);
        var result = new T[rows * dim];
        using var stream = File.OpenRead(path);
        var header = new byte[4];
        var body = new byte[dim * 4];
        for (int r = 0; r < rows; r++)
        {
            stream.ReadExactly(header);
            int d = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (d != dim) throw new InvalidDataException($"{path} row {r} has dimension {d}, expected {dim}.");
            stream.ReadExactly(body);
            MemoryMarshal.Cast<byte, T>(body).CopyTo(result.AsSpan(r * dim, dim));
        }
        return result;
    }
}
