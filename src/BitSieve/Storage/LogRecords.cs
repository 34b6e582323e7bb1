using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace BitSieve.Storage;

/// <summary>A point as the log and the points database store it: its internal key, its id and its payload (JSON text).</summary>
internal readonly record struct StoredPoint(ulong Key, PointId Id, string Payload);

/// <summary>One logged write, decoded: what <see cref="LogRecords"/> encodes, in the form it is applied.</summary>
internal sealed record LoggedWrite(byte Type, StoredPoint[]? Points = null, float[]? Vectors = null, ulong[]? Keys = null, (ulong Key, string Payload)[]? Payloads = null)
{
    public static LoggedWrite Decode(LogEntry entry, int dimension)
    {
        var data = entry.Payload.Span;
        switch (entry.Type)
        {
            case LogRecords.Upsert:
                var (points, vectors) = LogRecords.DecodeUpsert(data, dimension);
                return new LoggedWrite(entry.Type, Points: points, Vectors: vectors);
            case LogRecords.Delete:
                return new LoggedWrite(entry.Type, Keys: LogRecords.DecodeDelete(data));
            case LogRecords.Payloads:
                return new LoggedWrite(entry.Type, Payloads: LogRecords.DecodePayloads(data));
            case LogRecords.Replace:
                var (deleted, replacements, replacementVectors) = LogRecords.DecodeReplace(data, dimension);
                return new LoggedWrite(entry.Type, Points: replacements, Vectors: replacementVectors, Keys: deleted);
            default:
                throw new InvalidDataException($"unknown record type {entry.Type}");
        }
    }
}

/// <summary>
/// The writes a collection logs, and their binary form. Every record says exactly what to apply (keys are assigned
/// and payload merges resolved before logging), so replaying a record after a crash gives the same state as applying
/// it the first time, whatever had already reached the points database or the column files.
/// </summary>
internal static class LogRecords
{
    /// <summary>Insert or replace points with their vectors and payloads.</summary>
    public const byte Upsert = 1;

    /// <summary>Delete points by key.</summary>
    public const byte Delete = 2;

    /// <summary>Replace the payloads of existing points.</summary>
    public const byte Payloads = 3;

    /// <summary>Delete points by key and insert or replace others, atomically (a document's old chunks and its new ones).</summary>
    public const byte Replace = 4;

    // Upsert: [u32 count][u32 dim] count × {point} then count × dim floats.
    // Delete: [u32 count] count × u64 key.
    // Payloads: [u32 count] count × {u64 key, u32 length, UTF-8 JSON}.
    // Replace: [u32 count] count × u64 key (deleted), then an upsert.
    // {point} = u64 key, u8 kind (0 integer, 1 UUID), 16 id bytes, u32 length, UTF-8 JSON payload.

    public static byte[] EncodeUpsert(IReadOnlyList<StoredPoint> points, ReadOnlySpan<float> vectors, int dimension)
    {
        long size = 8 + (long)vectors.Length * sizeof(float);
        foreach (var p in points) size += 8 + 17 + 4 + Encoding.UTF8.GetByteCount(p.Payload);
        var writer = new RecordWriter((int)Math.Min(size, Array.MaxLength));
        writer.U32((uint)points.Count);
        writer.U32((uint)dimension);
        foreach (var p in points)
        {
            writer.U64(p.Key);
            WriteId(ref writer, p.Id);
            writer.Text(p.Payload);
        }
        writer.Bytes(MemoryMarshal.AsBytes(vectors));
        return writer.ToArray();
    }

    public static (StoredPoint[] Points, float[] Vectors) DecodeUpsert(ReadOnlySpan<byte> record, int dimension)
    {
        var reader = new RecordReader(record);
        int count = reader.Count();
        int dim = (int)reader.U32();
        if (dim != dimension) throw new InvalidDataException($"an upsert record holds vectors of dimension {dim}, not {dimension}");
        var points = new StoredPoint[count];
        for (int i = 0; i < count; i++)
        {
            ulong key = reader.U64();
            var id = ReadId(ref reader);
            points[i] = new StoredPoint(key, id, reader.Text());
        }
        var vectors = new float[checked(count * dim)];
        reader.Bytes(MemoryMarshal.AsBytes(vectors.AsSpan()));
        reader.End();
        return (points, vectors);
    }

    public static byte[] EncodeReplace(IReadOnlyCollection<ulong> deleted, IReadOnlyList<StoredPoint> points, ReadOnlySpan<float> vectors, int dimension)
    {
        byte[] keys = EncodeDelete(deleted);
        byte[] upsert = EncodeUpsert(points, vectors, dimension);
        return [.. keys, .. upsert];
    }

    public static (ulong[] Deleted, StoredPoint[] Points, float[] Vectors) DecodeReplace(ReadOnlySpan<byte> record, int dimension)
    {
        var reader = new RecordReader(record);
        long keysLength = 4 + (long)reader.Count() * 8;
        if (keysLength > record.Length) throw new InvalidDataException("a replace record ends early");
        var deleted = DecodeDelete(record[..(int)keysLength]);
        var (points, vectors) = DecodeUpsert(record[(int)keysLength..], dimension);
        return (deleted, points, vectors);
    }

    public static byte[] EncodeDelete(IReadOnlyCollection<ulong> keys)
    {
        var writer = new RecordWriter(4 + keys.Count * 8);
        writer.U32((uint)keys.Count);
        foreach (ulong key in keys) writer.U64(key);
        return writer.ToArray();
    }

    public static ulong[] DecodeDelete(ReadOnlySpan<byte> record)
    {
        var reader = new RecordReader(record);
        var keys = new ulong[reader.Count()];
        for (int i = 0; i < keys.Length; i++) keys[i] = reader.U64();
        reader.End();
        return keys;
    }

    public static byte[] EncodePayloads(IReadOnlyList<(ulong Key, string Payload)> payloads)
    {
        var writer = new RecordWriter(4 + payloads.Count * 32);
        writer.U32((uint)payloads.Count);
        foreach (var (key, payload) in payloads)
        {
            writer.U64(key);
            writer.Text(payload);
        }
        return writer.ToArray();
    }

    public static (ulong Key, string Payload)[] DecodePayloads(ReadOnlySpan<byte> record)
    {
        var reader = new RecordReader(record);
        var payloads = new (ulong, string)[reader.Count()];
        for (int i = 0; i < payloads.Length; i++) payloads[i] = (reader.U64(), reader.Text());
        reader.End();
        return payloads;
    }

    private static void WriteId(ref RecordWriter writer, PointId id)
    {
        Span<byte> bytes = stackalloc byte[17];
        bytes.Clear();
        if (id.IsUuid)
        {
            bytes[0] = 1;
            id.Uuid.TryWriteBytes(bytes[1..]);
        }
        else BinaryPrimitives.WriteUInt64LittleEndian(bytes[1..], id.Number);
        writer.Bytes(bytes);
    }

    private static PointId ReadId(ref RecordReader reader)
    {
        Span<byte> bytes = stackalloc byte[17];
        reader.Bytes(bytes);
        return bytes[0] switch
        {
            0 => new PointId(BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..])),
            1 => new PointId(new Guid(bytes[1..])),
            _ => throw new InvalidDataException($"unknown point id kind {bytes[0]}"),
        };
    }

    private ref struct RecordWriter(int capacity)
    {
        private byte[] _buffer = new byte[capacity];
        private int _length;

        public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);

        public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

        public void Bytes(scoped ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

        public void Text(string text)
        {
            int length = Encoding.UTF8.GetByteCount(text);
            U32((uint)length);
            Encoding.UTF8.GetBytes(text, Take(length));
        }

        /// <summary>The record; no copy when the capacity was exact.</summary>
        public readonly byte[] ToArray() => _length == _buffer.Length ? _buffer : _buffer.AsSpan(0, _length).ToArray();

        private Span<byte> Take(int count)
        {
            if (_length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_length + count, Math.Max(16, _buffer.Length * 2)));
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    private ref struct RecordReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        /// <summary>A count, checked against the bytes left so a damaged record cannot make us allocate wildly.</summary>
        public int Count()
        {
            uint count = U32();
            if (count > _data.Length - _position) throw new InvalidDataException($"a record claims {count} entries in {_data.Length} bytes");
            return (int)count;
        }

        public void Bytes(scoped Span<byte> destination) => Take(destination.Length).CopyTo(destination);

        public string Text()
        {
            int length = (int)Math.Min(U32(), int.MaxValue);
            return Encoding.UTF8.GetString(Take(length));
        }

        public readonly void End()
        {
            if (_position != _data.Length) throw new InvalidDataException($"a record has {_data.Length - _position} bytes left over");
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _data.Length - _position) throw new InvalidDataException("a record ends early");
            var span = _data.Slice(_position, count);
            _position += count;
            return span;
        }
    }
}
