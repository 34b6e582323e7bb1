using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace BitSieve.Storage;

/// <summary>What a column file holds; stored in its header as four ASCII characters.</summary>
internal enum ColumnKind : uint
{
    /// <summary>"SIGN": T1 sign planes, <c>ulong</c>, Words per ordinal.</summary>
    Signs = 'S' | ('I' << 8) | ('G' << 16) | ('N' << 24),

    /// <summary>"REFN": T2 codes, <c>byte</c>, Words·32 (4 bits) or Words·64 (8 bits) per ordinal.</summary>
    Refine = 'R' | ('E' << 8) | ('F' << 16) | ('N' << 24),

    /// <summary>"FACT": the eight factor columns one after another, <c>float</c>.</summary>
    Factors = 'F' | ('A' << 8) | ('C' << 16) | ('T' << 24),

    /// <summary>"IDS ": point ids, <c>ulong</c>, one per ordinal.</summary>
    Ids = 'I' | ('D' << 8) | ('S' << 16) | (' ' << 24),

    /// <summary>"DELE": tombstones, <c>ulong</c> words, one bit per ordinal.</summary>
    Deleted = 'D' | ('E' << 8) | ('L' << 16) | ('E' << 24),

    /// <summary>"ORIG": float32 originals, row-major, memory-mapped at the payload offset.</summary>
    Originals = 'O' | ('R' << 8) | ('I' << 16) | ('G' << 24),

    /// <summary>"GRPH": the proximity graph's adjacency rows, <c>int</c> (<c>GraphIndex.Persistence.cs</c>).</summary>
    Graph = 'G' | ('R' << 8) | ('P' << 16) | ('H' << 24),
}

/// <summary>The element count and payload checksum of a written column file, as the manifest records them.</summary>
internal readonly record struct ColumnInfo(long Count, ulong Checksum);

/// <summary>A validated column file header.</summary>
internal readonly record struct ColumnHeader(ColumnKind Kind, int ElementSize, long Count, ulong Checksum);

/// <summary>
/// A binary file holding one column: a 64-byte header, then the payload, so a payload of floats is aligned for
/// memory mapping. Version 1 layout, every integer little endian:
/// <code>
/// offset size  field
///      0    8  magic "BSVCOL\0\0"
///      8    4  format version (1)
///     12    4  column kind, four ASCII characters: SIGN, REFN, FACT, "IDS ", DELE, ORIG, GRPH
///     16    4  element size in bytes
///     20    4  header size (64)
///     24    8  element count
///     32    8  XxHash3 (seed 0) of the payload
///     40   16  reserved, zero
///     56    8  XxHash3 (seed 0) of header bytes 0..55
///     64    …  payload: count × element size bytes, and nothing after it
/// </code>
/// Files are written to <c>path.tmp</c>, flushed to the disk and renamed over <c>path</c>, so a reader sees the old
/// file or the new one, never half of one. A reader checks every field and the checksums and throws
/// <see cref="CorruptFileException"/> naming the file for anything it does not understand.
/// </summary>
internal static class ColumnFile
{
    public const int HeaderSize = 64;
    public const uint Version = 1;

    /// <summary>Bytes hashed or copied per step, so no span is larger than an int can count.</summary>
    private const int ChunkBytes = 1 << 20;

    private static ReadOnlySpan<byte> Magic => "BSVCOL\0\0"u8;

    /// <summary>Writes a whole column atomically (tmp file, fsync, rename) and returns its count and checksum.</summary>
    public static ColumnInfo Write<T>(string path, ColumnKind kind, ReadOnlySpan<T> data) where T : unmanaged
    {
        using var writer = new ColumnWriter(path, kind, Unsafe.SizeOf<T>());
        writer.Append(data);
        return writer.Commit();
    }

    /// <summary>Reads a whole column of <paramref name="expectedCount"/> elements, validating header and checksum.</summary>
    public static T[] ReadAll<T>(string path, ColumnKind kind, long expectedCount, ulong? expectedChecksum = null) where T : unmanaged
    {
        if (expectedCount < 0 || expectedCount > Array.MaxLength)
            throw new CorruptFileException(path, $"a column of {expectedCount} elements cannot be held in memory.", null);
        var data = new T[expectedCount];
        ReadInto<T>(path, kind, data, expectedChecksum);
        return data;
    }

    /// <summary>Reads a column into <paramref name="destination"/>, whose length is the expected element count.</summary>
    public static void ReadInto<T>(string path, ColumnKind kind, Span<T> destination, ulong? expectedChecksum = null) where T : unmanaged
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path, kind, Unsafe.SizeOf<T>(), destination.Length, expectedChecksum);
        var hash = new XxHash3();
        ReadPayload(stream, path, destination, hash);
        CheckPayload(path, header, hash.GetCurrentHashAsUInt64());
    }

    /// <summary>
    /// Reads a column stored as several equal segments one after another (the factors) straight into the first
    /// <paramref name="segmentLength"/> elements of each destination array.
    /// </summary>
    public static void ReadSegments<T>(string path, ColumnKind kind, IReadOnlyList<T[]> destinations, int segmentLength, ulong? expectedChecksum = null)
        where T : unmanaged
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path, kind, Unsafe.SizeOf<T>(), (long)destinations.Count * segmentLength, expectedChecksum);
        var hash = new XxHash3();
        foreach (var destination in destinations) ReadPayload(stream, path, destination.AsSpan(0, segmentLength), hash);
        CheckPayload(path, header, hash.GetCurrentHashAsUInt64());
    }

    private static void ReadPayload<T>(FileStream stream, string path, Span<T> destination, XxHash3 hash) where T : unmanaged
    {
        int perChunk = Math.Max(1, ChunkBytes / Unsafe.SizeOf<T>());
        try
        {
            for (int start = 0; start < destination.Length; start += perChunk)
            {
                var bytes = MemoryMarshal.AsBytes(destination.Slice(start, Math.Min(perChunk, destination.Length - start)));
                stream.ReadExactly(bytes);
                hash.Append(bytes);
            }
        }
        catch (EndOfStreamException e)
        {
            throw new CorruptFileException(path, "the file ended before its payload (truncated while being read).", e);
        }
    }

    /// <summary>
    /// Validates a column file without loading it (for the originals, which are memory-mapped at
    /// <see cref="HeaderSize"/>): the header always, the payload checksum when <paramref name="verifyPayload"/> is set.
    /// </summary>
    public static ColumnHeader Validate(string path, ColumnKind kind, int elementSize, long expectedCount,
        ulong? expectedChecksum = null, bool verifyPayload = true)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path, kind, elementSize, expectedCount, expectedChecksum);
        if (!verifyPayload) return header;
        var hash = new XxHash3();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long left = header.Count * header.ElementSize;
            while (left > 0)
            {
                var chunk = buffer.AsSpan(0, (int)Math.Min(ChunkBytes, left));
                stream.ReadExactly(chunk);
                hash.Append(chunk);
                left -= chunk.Length;
            }
        }
        catch (EndOfStreamException e)
        {
            throw new CorruptFileException(path, "the file ended before its payload (truncated while being read).", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        CheckPayload(path, header, hash.GetCurrentHashAsUInt64());
        return header;
    }

    /// <summary>The four-character tag of a kind, for messages.</summary>
    public static string Tag(ColumnKind kind) => Tag((uint)kind);

    private static string Tag(uint tag)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, tag);
        foreach (byte b in bytes)
            if (b is < 0x20 or > 0x7E) return $"0x{tag:X8}";
        return Encoding.ASCII.GetString(bytes);
    }

    internal static void BuildHeader(Span<byte> header, ColumnKind kind, int elementSize, long count, ulong checksum)
    {
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)kind);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)elementSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], HeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], count);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], checksum);
        BinaryPrimitives.WriteUInt64LittleEndian(header[56..], XxHash3.HashToUInt64(header[..56]));
    }

    internal static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("BitSieve column files are little endian; this machine is big endian.");
    }

    private static FileStream OpenRead(string path)
    {
        RequireLittleEndian();
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CorruptFileException(path, "the column file is missing.", e);
        }
    }

    private static ColumnHeader ReadHeader(FileStream stream, string path, ColumnKind kind, int elementSize, long expectedCount, ulong? expectedChecksum)
    {
        long length = stream.Length;
        Span<byte> h = stackalloc byte[HeaderSize];
        int read = stream.ReadAtLeast(h, HeaderSize, throwOnEndOfStream: false);
        if (read < Magic.Length || !h[..Magic.Length].SequenceEqual(Magic))
        {
            string what = length == 0 ? "the file is empty" : $"the file does not start with the BitSieve column magic number";
            throw new CorruptFileException(path, $"{what}; it is not a BitSieve column file (or it is truncated).", null);
        }
        if (read < HeaderSize)
            throw new CorruptFileException(path, $"the file is truncated: {length} bytes, shorter than the {HeaderSize}-byte header.", null);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (version > Version)
            throw new CorruptFileException(path, $"it was written by a newer BitSieve (column format version {version}; this build reads version {Version}). Upgrade BitSieve to open it.", null);
        if (version != Version)
            throw new CorruptFileException(path, $"unsupported column format version {version}.", null);
        if (BinaryPrimitives.ReadUInt64LittleEndian(h[56..]) != XxHash3.HashToUInt64(h[..56]))
            throw new CorruptFileException(path, "the header checksum does not match: the header is damaged.", null);

        uint tag = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        if (tag != (uint)kind)
            throw new CorruptFileException(path, $"it holds a '{Tag(tag)}' column where a '{Tag(kind)}' column was expected.", null);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        if (size != elementSize)
            throw new CorruptFileException(path, $"its elements are {size} bytes where {elementSize} were expected.", null);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
        if (headerSize != HeaderSize)
            throw new CorruptFileException(path, $"its header size is {headerSize} where {HeaderSize} was expected.", null);
        long count = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
        if (count != expectedCount)
            throw new CorruptFileException(path, $"it holds {count} elements where the manifest expects {expectedCount}.", null);
        if (count < 0 || count > (long.MaxValue - HeaderSize) / elementSize)
            throw new CorruptFileException(path, $"its element count {count} is impossible.", null);
        long expectedLength = HeaderSize + count * elementSize;
        if (length < expectedLength)
            throw new CorruptFileException(path, $"the file is truncated: {length} bytes where {expectedLength} are expected.", null);
        if (length > expectedLength)
            throw new CorruptFileException(path, $"the file has {length - expectedLength} unexpected bytes after its payload.", null);
        ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(h[32..]);
        if (expectedChecksum is ulong expected && checksum != expected)
            throw new CorruptFileException(path, $"its checksum {checksum:x16} differs from the one in manifest.json, {expected:x16} (a file from another save?).", null);
        return new ColumnHeader(kind, elementSize, count, checksum);
    }

    private static void CheckPayload(string path, ColumnHeader header, ulong actual)
    {
        if (actual != header.Checksum)
            throw new CorruptFileException(path, $"the payload checksum does not match (stored {header.Checksum:x16}, computed {actual:x16}): the data is damaged.", null);
    }
}

/// <summary>
/// Writes a column file in pieces (so the originals can be streamed from their mapped segment and tail), hashing as
/// it goes; <see cref="Commit"/> writes the header, fsyncs and renames the tmp file over the target.
/// Disposing without committing deletes the tmp file.
/// </summary>
internal sealed class ColumnWriter : IDisposable
{
    private const int ChunkBytes = 1 << 20;
    private readonly string _path;
    private readonly string _tmp;
    private readonly ColumnKind _kind;
    private readonly int _elementSize;
    private readonly FileStream _stream;
    private readonly XxHash3 _hash = new();
    private long _bytes;
    private bool _done;

    public ColumnWriter(string path, ColumnKind kind, int elementSize)
    {
        ColumnFile.RequireLittleEndian();
        _path = path;
        _tmp = path + ".tmp";
        _kind = kind;
        _elementSize = elementSize;
        _stream = StorageFiles.Current.Create(_tmp, bufferSize: 1 << 16);
        Span<byte> placeholder = stackalloc byte[ColumnFile.HeaderSize];
        placeholder.Clear();
        _stream.Write(placeholder);
    }

    public void Append<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() != _elementSize) throw new InvalidOperationException("Element size differs from the column's.");
        int perChunk = Math.Max(1, ChunkBytes / _elementSize);
        for (int start = 0; start < data.Length; start += perChunk)
        {
            var bytes = MemoryMarshal.AsBytes(data.Slice(start, Math.Min(perChunk, data.Length - start)));
            _stream.Write(bytes);
            _hash.Append(bytes);
            _bytes += bytes.Length;
        }
    }

    public ColumnInfo Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        long count = _bytes / _elementSize;
        ulong checksum = _hash.GetCurrentHashAsUInt64();
        Span<byte> header = stackalloc byte[ColumnFile.HeaderSize];
        ColumnFile.BuildHeader(header, _kind, _elementSize, count, checksum);
        _stream.Position = 0;
        _stream.Write(header);
        StorageFiles.Current.Sync(_stream);
        _stream.Dispose();
        _done = true;
        StorageFiles.Current.Replace(_tmp, _path);
        return new ColumnInfo(count, checksum);
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _stream.Dispose();
        try
        {
            StorageFiles.Current.Delete(_tmp);
        }
        catch (IOException)
        {
        }
    }
}
