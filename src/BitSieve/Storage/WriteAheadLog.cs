using System.Buffers.Binary;
using System.IO.Hashing;

namespace BitSieve.Storage;

/// <summary>When a write is made durable (fsync of the log) before it is acknowledged.</summary>
public enum Durability
{
    /// <summary>Every write is fsynced before it returns: an acknowledged write survives a crash or power loss.</summary>
    Always,

    /// <summary>
    /// Writes reach the operating system before they return but are fsynced only at checkpoints: they survive a
    /// process crash (kill -9), not a power loss.
    /// </summary>
    OsBuffered,
}

/// <summary>One record read back from the log.</summary>
/// <param name="Sequence">Its log sequence number (consecutive from 1).</param>
/// <param name="Type">What kind of write it is.</param>
/// <param name="Payload">The record's bytes.</param>
internal readonly record struct LogEntry(long Sequence, byte Type, ReadOnlyMemory<byte> Payload);

/// <summary>
/// The write-ahead log of one collection: a header, then records of
/// <c>[u32 length][u8 type][3 reserved][i64 sequence][u64 XxHash3 of type, sequence and payload][payload]</c>.
/// A write is appended (and, under <see cref="Durability.Always"/>, fsynced) before it is applied anywhere else.
/// On open, records are read up to the first one that is incomplete or fails its checksum: if nothing valid follows
/// it, it is the torn tail of a write cut short by a crash, and the file is truncated there; a damaged record with
/// more data after it is corruption, and opening fails naming the file.
/// After a checkpoint has made every record durable elsewhere, <see cref="Reset"/> starts a new, empty log atomically.
/// </summary>
internal sealed class WriteAheadLog : IDisposable
{
    public const string FileName = "wal.log";
    private static ReadOnlySpan<byte> Magic => "BSVWAL\0\u0001"u8;
    public const int FormatVersion = 1;
    private const int HeaderSize = 32;
    private const int RecordHeaderSize = 24;

    /// <summary>No record is larger than this (a batch of 100,000 vectors of 4096 floats is 1.6 GB; split such batches).</summary>
    public const int MaxRecordBytes = 1 << 30;

    private readonly string _path;
    private readonly Durability _durability;
    private FileStream _stream;

    private WriteAheadLog(string path, FileStream stream, Durability durability, long lastSequence)
    {
        _path = path;
        _stream = stream;
        _durability = durability;
        LastSequence = lastSequence;
    }

    /// <summary>The sequence number of the last record written (or of the last checkpoint when the log is empty).</summary>
    public long LastSequence { get; private set; }

    /// <summary>Bytes in the log file.</summary>
    public long Length => _stream.Length;

    /// <summary>
    /// Opens (or creates, starting after <paramref name="checkpointSequence"/>) the log of a collection directory and
    /// reads its valid records, truncating a torn tail.
    /// </summary>
    public static WriteAheadLog Open(string directory, long checkpointSequence, Durability durability, out List<LogEntry> entries)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) WriteEmpty(path, checkpointSequence);
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            entries = ReadAll(path, stream, out long validLength, out long last);
            if (validLength < stream.Length)
            {
                stream.SetLength(validLength);
                stream.Flush(flushToDisk: true);
            }
            stream.Position = validLength;
            return new WriteAheadLog(path, stream, durability, Math.Max(last, checkpointSequence));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the valid records of a log without changing it (for read-only opens).</summary>
    public static List<LogEntry> ReadOnly(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return ReadAll(path, stream, out _, out _);
    }

    /// <summary>Appends one record and, under <see cref="Durability.Always"/>, fsyncs it; returns its sequence number.</summary>
    public long Append(byte type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxRecordBytes)
            throw new ArgumentException($"A write of {payload.Length} bytes exceeds the log's record limit of {MaxRecordBytes} bytes; split it into smaller batches.", nameof(payload));
        long sequence = LastSequence + 1;
        Span<byte> header = stackalloc byte[RecordHeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        header[4] = type;
        header[5] = header[6] = header[7] = 0;
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], Checksum(type, sequence, payload));
        long start = _stream.Position;
        try
        {
            _stream.Write(header);
            _stream.Write(payload);
            _stream.Flush(flushToDisk: _durability == Durability.Always);
        }
        catch
        {
            // A failed append (disk full) must not leave half a record for the next append to follow.
            try
            {
                _stream.SetLength(start);
                _stream.Position = start;
            }
            catch (IOException)
            {
            }
            throw;
        }
        LastSequence = sequence;
        return sequence;
    }

    /// <summary>Fsyncs what was appended (for <see cref="Durability.OsBuffered"/> before a checkpoint).</summary>
    public void Sync() => _stream.Flush(flushToDisk: true);

    /// <summary>
    /// Replaces the log by an empty one that starts after <see cref="LastSequence"/>: call only once every record is
    /// durable elsewhere (a checkpoint). Atomic: a crash leaves the old log or the new one.
    /// </summary>
    public void Reset()
    {
        string tmp = _path + ".tmp";
        WriteEmpty(tmp, LastSequence);
        _stream.Dispose();
        File.Move(tmp, _path, overwrite: true);
        DurableDirectory.Sync(Path.GetDirectoryName(_path)!);
        _stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _stream.Position = _stream.Length;
    }

    public void Dispose() => _stream.Dispose();

    private static void WriteEmpty(string path, long checkpointSequence)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], checkpointSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], XxHash3.HashToUInt64(header[..24]));
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(header);
        stream.Flush(flushToDisk: true);
    }

    private static List<LogEntry> ReadAll(string path, FileStream stream, out long validLength, out long last)
    {
        stream.Position = 0;
        long length = stream.Length;
        Span<byte> header = stackalloc byte[HeaderSize];
        if (length < HeaderSize || stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize)
            throw new CorruptFileException(path, $"it is {length} bytes, shorter than the {HeaderSize}-byte log header.", null);
        if (!header[..8].SequenceEqual(Magic))
            throw new CorruptFileException(path, "it does not start with the BitSieve write-ahead log magic number: it is not a BitSieve log.", null);
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != FormatVersion)
            throw new CorruptFileException(path, $"log format version {version} is not supported (this build reads version {FormatVersion}).", null);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header[24..]) != XxHash3.HashToUInt64(header[..24]))
            throw new CorruptFileException(path, "the log header fails its checksum.", null);
        last = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);

        var entries = new List<LogEntry>();
        long position = HeaderSize;
        Span<byte> recordHeader = stackalloc byte[RecordHeaderSize];
        while (position < length)
        {
            string? problem = null;
            long end = length;
            if (length - position < RecordHeaderSize) problem = "a record header is incomplete";
            else
            {
                stream.Position = position;
                stream.ReadExactly(recordHeader);
                int size = BinaryPrimitives.ReadInt32LittleEndian(recordHeader);
                byte type = recordHeader[4];
                long sequence = BinaryPrimitives.ReadInt64LittleEndian(recordHeader[8..]);
                ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(recordHeader[16..]);
                if (size < 0 || size > MaxRecordBytes) problem = $"a record claims {size} bytes";
                else if (position + RecordHeaderSize + size > length) problem = "a record is incomplete";
                else
                {
                    end = position + RecordHeaderSize + size;
                    var payload = new byte[size];
                    stream.ReadExactly(payload);
                    if (Checksum(type, sequence, payload) != checksum) problem = "a record fails its checksum";
                    else if (sequence != last + 1) problem = $"record {sequence} follows record {last}";
                    else
                    {
                        entries.Add(new LogEntry(sequence, type, payload));
                        last = sequence;
                        position = end;
                        continue;
                    }
                }
            }
            // A crash can only cut the last record short (or leave zeros after it, where the file system extended the
            // file before the data landed); damage with data after it is not a torn tail.
            if (end < length && !OnlyZerosFrom(stream, position))
                throw new CorruptFileException(path, $"{problem} at byte {position}, and more of the log follows it: the log is damaged, not just cut short.", null);
            break;
        }
        validLength = position;
        return entries;
    }

    private static bool OnlyZerosFrom(FileStream stream, long position)
    {
        stream.Position = position;
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0)) return false;
        return true;
    }

    private static ulong Checksum(byte type, long sequence, ReadOnlySpan<byte> payload)
    {
        var hash = new XxHash3();
        Span<byte> prefix = stackalloc byte[9];
        prefix[0] = type;
        BinaryPrimitives.WriteInt64LittleEndian(prefix[1..], sequence);
        hash.Append(prefix);
        hash.Append(payload);
        return hash.GetCurrentHashAsUInt64();
    }
}
