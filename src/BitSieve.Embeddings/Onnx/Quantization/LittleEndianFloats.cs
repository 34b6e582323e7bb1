using System.Buffers.Binary;

namespace BitSieve.Embeddings.Onnx.Quantization;

/// <summary>float32 values as little-endian bytes, the order plan keys and stored precisions hold them in on every machine.</summary>
internal static class LittleEndianFloats
{
    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return bytes;
    }

    /// <summary>The floats of <paramref name="bytes"/> (a whole number of them).</summary>
    public static float[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        return values;
    }
}
