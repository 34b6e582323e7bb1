using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BitSieve.Cli.Data;

/// <summary>A dense row-major table read from or written to a TexMex file.</summary>
/// <typeparam name="T"><see cref="float"/> for fvecs, <see cref="int"/> for ivecs.</typeparam>
internal sealed class VecsMatrix<T>
    where T : unmanaged
{
    /// <summary>Wraps <paramref name="data"/>, which must hold exactly rows × dimension values.</summary>
    public VecsMatrix(T[] data, int rows, int dimension)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if ((long)rows * dimension != data.Length)
            throw new ArgumentException($"Expected {(long)rows * dimension} values for {rows} × {dimension}, got {data.Length}.", nameof(data));
        Data = data;
        Rows = rows;
        Dimension = dimension;
    }

    /// <summary>All values, row after row.</summary>
    public T[] Data { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Values per row.</summary>
    public int Dimension { get; }

    /// <summary>One row.</summary>
    public ReadOnlySpan<T> Row(int row) => Data.AsSpan(checked(row * Dimension), Dimension);

    /// <summary>The first <paramref name="rows"/> rows (this instance when it already has no more).</summary>
    public VecsMatrix<T> Take(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (rows >= Rows) return this;
        return new VecsMatrix<T>(Data.AsSpan(0, rows * Dimension).ToArray(), rows, Dimension);
    }
}

/// <summary>
/// TexMex <c>fvecs</c> / <c>ivecs</c> files: per row a little-endian int32 dimension, then that many float32 (fvecs)
/// or int32 (ivecs) values. Every row of a file must declare the same dimension.
/// </summary>
internal static class VecsFile
{
    /// <summary>The largest per-row dimension a reader accepts; a larger header means the file is not vecs data.</summary>
    public const int MaxDimension = 65536;

    // Rows are read in chunks of about this many bytes and copied straight into the result array.
    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads an fvecs file.</summary>
    /// <exception cref="InvalidDataException">The file is empty, truncated or has inconsistent rows.</exception>
    public static VecsMatrix<float> ReadFvecs(string path) => Read<float>(path);

    /// <summary>Reads an ivecs file.</summary>
    /// <exception cref="InvalidDataException">The file is empty, truncated or has inconsistent rows.</exception>
    public static VecsMatrix<int> ReadIvecs(string path) => Read<int>(path);

    /// <summary>Writes an fvecs file of <paramref name="data"/>.Length / <paramref name="dimension"/> rows.</summary>
    public static void WriteFvecs(string path, ReadOnlySpan<float> data, int dimension) => Write(path, data, dimension);

    /// <summary>Writes an ivecs file of <paramref name="data"/>.Length / <paramref name="dimension"/> rows.</summary>
    public static void WriteIvecs(string path, ReadOnlySpan<int> data, int dimension) => Write(path, data, dimension);

    /// <summary>Writes an ivecs file whose rows may differ in length (e.g. a search that found fewer than k hits).</summary>
    public static void WriteIvecs(string path, IEnumerable<int[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        EnsureLittleEndian();
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[sizeof(int)];
        foreach (var row in rows)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header, row.Length);
            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(row.AsSpan()));
        }
    }

    private static void Write<T>(string path, ReadOnlySpan<T> data, int dimension)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (data.Length % dimension != 0)
            throw new ArgumentException($"{data.Length} values are not a whole number of rows of {dimension}.", nameof(data));
        EnsureLittleEndian();
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(header, dimension);
        for (int start = 0; start < data.Length; start += dimension)
        {
            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(data.Slice(start, dimension)));
        }
    }

    /// <summary>
    /// Streams an fvecs file in batches of up to <paramref name="batchRows"/> rows, for files larger than memory. The
    /// file's length is checked first (a truncated last row fails before any batch is returned); each row's declared
    /// dimension is checked as it is read. The batch array is reused between batches.
    /// </summary>
    public static IEnumerable<(long FirstRow, int Rows, int Dimension, float[] Data)> ReadFvecsBatches(string path, int batchRows)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchRows);
        EnsureLittleEndian();
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        return Batches(handle, path, batchRows);
    }

    private static IEnumerable<(long FirstRow, int Rows, int Dimension, float[] Data)> Batches(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, int batchRows)
    {
        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            if (length == 0) throw Malformed(path, "the file is empty");
            if (length < sizeof(int)) throw Malformed(path, $"truncated: {length} bytes is less than one row header");
            var header = new byte[sizeof(int)];
            ReadExactly(handle, header, 0, path);
            int dimension = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (dimension is <= 0 or > MaxDimension)
                throw Malformed(path, $"row 0 declares dimension {dimension}; a dimension must lie in 1..{MaxDimension}");
            long rowBytes = sizeof(int) + (long)sizeof(float) * dimension;
            long rows = length / rowBytes;
            if (length % rowBytes != 0)
                throw Malformed(path, $"its {length} bytes are not a whole number of rows of dimension {dimension} ({rowBytes} bytes each): truncated or mixed dimensions");
            var data = new float[batchRows * dimension];
            var buffer = new byte[batchRows * rowBytes];
            for (long row = 0; row < rows; row += batchRows)
            {
                int count = (int)Math.Min(batchRows, rows - row);
                var chunk = buffer.AsSpan(0, (int)(count * rowBytes));
                ReadExactly(handle, chunk, row * rowBytes, path);
                CopyRows<float>(chunk, count, dimension, row, data, 0, path);
                yield return (row, count, dimension, data);
            }
        }
    }

    private static VecsMatrix<T> Read<T>(string path)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(path);
        EnsureLittleEndian();
        int valueSize = Marshal.SizeOf<T>();
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        if (length == 0) throw Malformed(path, "the file is empty");
        if (length < sizeof(int)) throw Malformed(path, $"truncated: {length} bytes is less than one row header");

        Span<byte> header = stackalloc byte[sizeof(int)];
        ReadExactly(handle, header, 0, path);
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (dimension is <= 0 or > MaxDimension)
            throw Malformed(path, $"row 0 declares dimension {dimension}; a dimension must lie in 1..{MaxDimension}");

        long rowBytes = sizeof(int) + (long)valueSize * dimension;
        long rows = length / rowBytes;
        long rest = length % rowBytes;
        if (rows * dimension > Array.MaxLength)
            throw Malformed(path, $"{rows} rows × {dimension} values do not fit in one array");

        var data = new T[rows * dimension];
        int rowsPerChunk = (int)Math.Max(1, ChunkBytes / rowBytes);
        var buffer = new byte[rowsPerChunk * rowBytes];
        for (long row = 0; row < rows; row += rowsPerChunk)
        {
            int count = (int)Math.Min(rowsPerChunk, rows - row);
            var chunk = buffer.AsSpan(0, (int)(count * rowBytes));
            ReadExactly(handle, chunk, row * rowBytes, path);
            CopyRows(chunk, count, dimension, row, data, row * dimension, path);
        }

        if (rest != 0)
        {
            // Name the first bad row precisely: a different dimension also leaves a ragged tail.
            if (rest >= sizeof(int))
            {
                ReadExactly(handle, header, rows * rowBytes, path);
                int declared = BinaryPrimitives.ReadInt32LittleEndian(header);
                if (declared != dimension)
                    throw Malformed(path, $"row {rows} declares dimension {declared}, but row 0 declares {dimension}");
            }

            throw Malformed(path, $"truncated last row: row {rows} has {rest} of {rowBytes} bytes");
        }

        return new VecsMatrix<T>(data, (int)rows, dimension);
    }

    /// <summary>
    /// Copies <paramref name="count"/> rows of a chunk (each: int32 dimension, then the values) into
    /// <paramref name="destination"/> from element <paramref name="at"/>, checking every row's declared dimension.
    /// </summary>
    private static void CopyRows<T>(ReadOnlySpan<byte> chunk, int count, int dimension, long firstRow, T[] destination, long at, string path)
        where T : unmanaged
    {
        int rowBytes = sizeof(int) + Marshal.SizeOf<T>() * dimension;
        for (int r = 0; r < count; r++)
        {
            var source = chunk.Slice(r * rowBytes, rowBytes);
            int declared = BinaryPrimitives.ReadInt32LittleEndian(source);
            if (declared != dimension)
                throw Malformed(path, $"row {firstRow + r} declares dimension {declared}, but row 0 declares {dimension}");
            // Per row, so the byte view never exceeds int.MaxValue even when the whole array does.
            source[sizeof(int)..].CopyTo(MemoryMarshal.AsBytes(destination.AsSpan((int)(at + (long)r * dimension), dimension)));
        }
    }

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> destination, long offset, string path)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(handle, destination, offset);
            if (read == 0) throw Malformed(path, "the file ended early (was it changed while being read?)");
            destination = destination[read..];
            offset += read;
        }
    }

    private static InvalidDataException Malformed(string path, string reason) => new($"{path}: {reason}.");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("vecs files are little endian; this reader supports little-endian machines only.");
    }
}
