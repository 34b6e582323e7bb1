using System.Buffers.Binary;
using System.IO.Hashing;

namespace BitSieve.Storage;

/// <summary>One record read back from the log.</summary>
/// <param name="Sequence">Its log sequence number (consecutive from 1).</param>
/// <param name="Type">What kind of write it is.</param>
/// <param name="Payload">The record's bytes.</param>
internal readonly record struct LogEntry(long Sequence, byte Type, ReadOnlyMemory<byte> Payload);


/// <summary>
/// The write-ahead log of one collection (<c>wal.log</c>): a 32-byte header (magic, format version, the sequence
/// number of the checkpoint it starts after, XxHash3 of those), then one record per write:
/// <code>
/// header  [u32 length][u8 type][3 zero][i64 sequence][u64 XxHash3 of the payload][u64 XxHash3 of the 24 bytes before]
/// payload [length bytes]
/// trailer [u64 the header's checksum][u32 length]["BSVR"]
/// </code>
/// A write is appended (and, under <see cref="Durability.Always"/>, fsynced) before it is applied anywhere else, so
/// an acknowledged write is in a record whose three parts all verify.
/// <para>
/// <b>Damage or a torn tail.</b> Records are read up to the first one that does not verify. What follows it is judged
/// before anything is changed (see <c>WriteAheadLog.Read.cs</c>): it is the torn tail of an append that a crash cut
/// short only when it is visibly unfinished — the file ends inside the record, or the parts that fail are zeros (a
/// header, a trailer or a 512-byte sector that never landed) — and no record header that holds its checksum follows
/// it anywhere. Everything else is damage: a <see cref="CorruptFileException"/> naming the file, with nothing
/// changed. A record whose trailer is in place was written completely, so a damaged header, payload or trailer in
/// the last record is damage too, not a torn tail. Independently of the framing, a log whose valid records end
/// before the last record the points database has applied (or start after the first one it lacks) has lost
/// acknowledged writes and is reported, never truncated.
/// </para>
/// <para>
/// <b>Limits.</b> A torn tail is recognised by its zeros: damage that only zeroes bytes of the last record, or a bit
/// flip in the last record's payload that also holds a zeroed sector, reads as a torn tail; such a record is then
/// discarded only if the points database has not applied it. A power loss that lands a record's trailer but only
/// part of its header (not all zeros) reads as damage: reported, nothing lost. Version-1 logs (records without a
/// header checksum or a trailer, written by older builds) open with the old rule — a record that fails with nothing
/// valid after it is a torn tail — guarded by the same comparison with the points database, and the first writer
/// open rewrites them in version 2 (atomically: new file, fsync, rename).
/// </para>
/// After a checkpoint has made every record durable elsewhere, <see cref="Reset"/> starts a new, empty log atomically.
/// </summary>
internal sealed partial class WriteAheadLog : IDisposable
{
    public const string FileName = "wal.log";
    private static ReadOnlySpan<byte> Magic => "BSVWAL\0\u0001"u8;

    /// <summary>The format this build writes. Version 1 (records without header checksum and trailer) still opens.</summary>
    public const int FormatVersion = 2;
    private const int HeaderSize = 32;
    private const int RecordHeaderSize = 32;
    private const int RecordTrailerSize = 16;

    /// <summary>Ends every record's trailer; it holds no zero byte, so a complete record never ends in a zero.</summary>
    private static ReadOnlySpan<byte> TrailerMark => "BSVR"u8;

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
    /// Opens the log of a collection directory for appending and reads its records. The whole file is judged first,
    /// without changing it: damage, or valid records that do not reach <paramref name="appliedSequence"/> (the last
    /// record the points database has applied) or that start after the first one the index
    /// (<paramref name="indexSequence"/>) or the points database lacks, is a <see cref="CorruptFileException"/>. Only
    /// then is a torn tail cut off (or a version-1 log rewritten in the current format). A missing log is created only
    /// for a collection that has applied nothing yet.
    /// </summary>
    public static WriteAheadLog Open(string directory, long indexSequence, long appliedSequence, Durability durability, out List<LogEntry> entries)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            if (indexSequence > 0 || appliedSequence > 0) throw Missing(path, indexSequence, appliedSequence);
            WriteLog(path, 0, []);
        }
        var stream = StorageFiles.Current.OpenForWriting(path);
        try
        {
            var contents = Read(path, stream);
            contents.CheckCovers(path, indexSequence, appliedSequence);
            if (contents.Version != FormatVersion)
            {
                WriteLog(path + ".tmp", contents.BaseSequence, contents.Entries);
                stream.Dispose();
                Install(path + ".tmp", path);
                stream = StorageFiles.Current.OpenForWriting(path);
            }
            else if (contents.ValidLength < stream.Length)
            {
                stream.SetLength(contents.ValidLength);
                StorageFiles.Current.Sync(stream);
            }
            stream.Position = stream.Length;
            entries = contents.Entries;
            return new WriteAheadLog(path, stream, durability, Math.Max(contents.LastSequence, indexSequence));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the records of a log without changing it (for read-only opens, which run beside a writer that may be in
    /// the middle of an append: an unfinished last record is one not written yet). Damage, or records that do not
    /// reach what the points database has applied, is a <see cref="CorruptFileException"/>, as for <see cref="Open"/>.
    /// </summary>
    public static List<LogEntry> ReadOnly(string directory, long indexSequence, long appliedSequence)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            if (indexSequence > 0 || appliedSequence > 0) throw Missing(path, indexSequence, appliedSequence);
            return [];
        }
        var contents = ReadBesideWriter(path);
        contents.CheckCovers(path, indexSequence, appliedSequence);
        return contents.Entries;
    }

    /// <summary>
    /// Reads the records of a log as they are, without checking which records they must cover: for a reader that follows
    /// a writer, which may reset the log between the reader's reads (the reader checks against the manifest itself),
    /// and for <c>bitsieve check</c>. Damage is a <see cref="CorruptFileException"/>; so is a missing file (a log is
    /// replaced by renaming, never removed).
    /// </summary>
    public static List<LogEntry> ReadOnly(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new CorruptFileException(path, "it is missing: the collection's write-ahead log is replaced by renaming, never removed.", null);
        return ReadBesideWriter(path).Entries;
    }

    /// <summary>How many times a read-only open reads a log that reads as damaged before it reports it.</summary>
    private const int ReadAttempts = 4;

    /// <summary>
    /// Reads a log that a writer in another process may be appending to. An append lands in several writes, and what
    /// another process sees of a file being written is not ordered byte by byte, so a read can meet a record in the
    /// middle of its append with more of the log already visible after it; that reads as damage (seen once in CI: "the
    /// record at byte 32 … does not verify, and a record whose header holds its checksum follows"). Such a log is read
    /// again, up to <see cref="ReadAttempts"/> times 50 ms apart: an append finishes, real damage stays and is reported
    /// by the last read. Nothing is changed either way.
    /// </summary>
    private static Contents ReadBesideWriter(string path)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return Read(path, stream);
            }
            catch (CorruptFileException) when (attempt < ReadAttempts)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Appends one record and, under <see cref="Durability.Always"/>, fsyncs it; returns its sequence number.</summary>
    public long Append(byte type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxRecordBytes)
            throw new ArgumentException($"A write of {payload.Length} bytes exceeds the log's record limit of {MaxRecordBytes} bytes; split it into smaller batches.", nameof(payload));
        long sequence = LastSequence + 1;
        Span<byte> header = stackalloc byte[RecordHeaderSize];
        Span<byte> trailer = stackalloc byte[RecordTrailerSize];
        Frame(header, trailer, type, sequence, payload);
        long start = _stream.Position;
        try
        {
            _stream.Write(header);
            _stream.Write(payload);
            _stream.Write(trailer);
            if (_durability == Durability.Always) StorageFiles.Current.Sync(_stream);
            else _stream.Flush();
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
    public void Sync() => StorageFiles.Current.Sync(_stream);

    /// <summary>
    /// Replaces the log by an empty one that starts after <see cref="LastSequence"/>: call only once every record is
    /// durable elsewhere (a checkpoint). Atomic: a crash leaves the old log or the new one.
    /// </summary>
    public void Reset()
    {
        string tmp = _path + ".tmp";
        WriteLog(tmp, LastSequence, []);
        _stream.Dispose();
        Install(tmp, _path);
        _stream = StorageFiles.Current.OpenForWriting(_path);
        _stream.Position = _stream.Length;
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>Renames a new, fsynced log over the file and makes the rename durable: a crash leaves one or the other.</summary>
    private static void Install(string tmp, string path)
    {
        StorageFiles.Current.Replace(tmp, path);
        StorageFiles.Current.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static void WriteLog(string path, long baseSequence, List<LogEntry> entries)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], baseSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], XxHash3.HashToUInt64(header[..24]));
        using var stream = StorageFiles.Current.Create(path);
        stream.Write(header);
        Span<byte> recordHeader = stackalloc byte[RecordHeaderSize];
        Span<byte> trailer = stackalloc byte[RecordTrailerSize];
        foreach (var entry in entries)
        {
            Frame(recordHeader, trailer, entry.Type, entry.Sequence, entry.Payload.Span);
            stream.Write(recordHeader);
            stream.Write(entry.Payload.Span);
            stream.Write(trailer);
        }
        StorageFiles.Current.Sync(stream);
    }

    /// <summary>Fills a record's header and trailer (see the class remarks for the layout).</summary>
    private static void Frame(Span<byte> header, Span<byte> trailer, byte type, long sequence, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        header[4] = type;
        header[5..8].Clear();
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], XxHash3.HashToUInt64(payload));
        ulong headerChecksum = XxHash3.HashToUInt64(header[..24]);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], headerChecksum);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, headerChecksum);
        BinaryPrimitives.WriteInt32LittleEndian(trailer[8..], payload.Length);
        TrailerMark.CopyTo(trailer[12..]);
    }

    private static CorruptFileException Missing(string path, long indexSequence, long appliedSequence) =>
        new(path, $"it is missing, but the points database has applied log records up to {appliedSequence} (the index up to {indexSequence}): a new log would reuse their sequence numbers. Restore the file; nothing was changed.", null);
}
