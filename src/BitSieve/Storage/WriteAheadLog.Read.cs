using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace BitSieve.Storage;

internal sealed partial class WriteAheadLog
{
    /// <summary>What a log file holds, judged without changing it.</summary>
    /// <param name="Version">The file's format version.</param>
    /// <param name="BaseSequence">The checkpoint the log starts after.</param>
    /// <param name="Entries">Its valid records, in order.</param>
    /// <param name="ValidLength">Bytes up to the end of the last valid record.</param>
    /// <param name="TornTail">What follows the valid records (a torn append), or null when nothing does.</param>
    private sealed record Contents(int Version, long BaseSequence, List<LogEntry> Entries, long ValidLength, string? TornTail)
    {
        public long LastSequence => Entries.Count > 0 ? Entries[^1].Sequence : BaseSequence;

        /// <summary>
        /// Fails unless the valid records hold every acknowledged write: they must start no later than the first record
        /// that the index or the points database lacks, and reach the last one the points database has applied.
        /// </summary>
        public void CheckCovers(string path, long indexSequence, long appliedSequence)
        {
            if (Entries.Count > 0 && Entries[0].Sequence > Math.Min(indexSequence, appliedSequence) + 1)
                throw new CorruptFileException(path,
                    $"it starts at record {Entries[0].Sequence}, but the index includes records up to {indexSequence} and the points database up to {appliedSequence}: records in between are missing.", null);
            if (appliedSequence > LastSequence)
                throw new CorruptFileException(path,
                    $"its valid records end at record {LastSequence}{(TornTail is null ? "" : $" (then {TornTail})")}, but the points database has applied records up to {appliedSequence}: the log has lost acknowledged writes. Nothing was changed.", null);
        }
    }

    private static Contents Read(string path, FileStream stream)
    {
        stream.Position = 0;
        long length = stream.Length;
        Span<byte> header = stackalloc byte[HeaderSize];
        if (length < HeaderSize || stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize)
            throw new CorruptFileException(path, $"it is {length} bytes, shorter than the {HeaderSize}-byte log header.", null);
        if (!header[..8].SequenceEqual(Magic))
            throw new CorruptFileException(path, "it does not start with the BitSieve write-ahead log magic number: it is not a BitSieve log.", null);
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header[24..]) != XxHash3.HashToUInt64(header[..24]))
            throw new CorruptFileException(path, "the log header fails its checksum.", null);
        if (version is not (1 or FormatVersion))
            throw new CorruptFileException(path, $"log format version {version} is not supported (this build reads versions 1 and {FormatVersion}).", null);
        long baseSequence = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        return version == 1 ? ReadVersion1(path, stream, length, baseSequence) : ReadRecords(path, stream, length, baseSequence);
    }

    private static Contents ReadRecords(string path, FileStream stream, long length, long baseSequence)
    {
        var entries = new List<LogEntry>();
        long position = HeaderSize;
        long last = baseSequence;
        Span<byte> header = stackalloc byte[RecordHeaderSize];
        Span<byte> trailer = stackalloc byte[RecordTrailerSize];
        while (position < length)
        {
            if (length - position >= RecordHeaderSize)
            {
                stream.Position = position;
                stream.ReadExactly(header);
                if (HeaderHolds(header))
                {
                    var (size, type, sequence) = Describe(header);
                    if (size is < 0 or > MaxRecordBytes)
                        throw Damaged(path, position, $"its header holds its checksum but claims {size} bytes");
                    if (sequence != last + 1)
                        throw Damaged(path, position, $"its header holds its checksum but it is record {sequence}, after record {last}");
                    long end = position + RecordHeaderSize + size + RecordTrailerSize;
                    if (end <= length)
                    {
                        var payload = new byte[size];
                        stream.ReadExactly(payload);
                        stream.ReadExactly(trailer);
                        if (PayloadHolds(header, payload) && TrailerMatches(trailer, header))
                        {
                            entries.Add(new LogEntry(sequence, type, payload));
                            last = sequence;
                            position = end;
                            continue;
                        }
                    }
                }
            }
            return new Contents(FormatVersion, baseSequence, entries, position, JudgeTail(path, stream, position, length, last));
        }
        return new Contents(FormatVersion, baseSequence, entries, position, null);
    }

    /// <summary>
    /// Decides whether what starts at <paramref name="position"/> (a record that does not verify, after record
    /// <paramref name="last"/>) is the torn tail of an append a crash cut short, and describes it; throws when it is
    /// damage. See the class remarks for the rule.
    /// </summary>
    private static string JudgeTail(string path, FileStream stream, long position, long length, long last)
    {
        long next = FindRecordHeader(stream, position + 1, length, last);
        if (next >= 0)
            throw Damaged(path, position, $"it does not verify, and a record whose header holds its checksum follows at byte {next}");
        if (OnlyZeros(stream, position, length)) return $"{length - position} zero bytes at byte {position}";
        if (length - position < RecordHeaderSize) return $"an incomplete record header at byte {position}";

        Span<byte> header = stackalloc byte[RecordHeaderSize];
        stream.Position = position;
        stream.ReadExactly(header);
        if (HeaderHolds(header))
        {
            var (size, _, sequence) = Describe(header);
            long end = position + RecordHeaderSize + size + RecordTrailerSize;
            if (end > length) return $"record {sequence} at byte {position}, incomplete ({length - position} of its {end - position} bytes)";
            // The file holds the whole record, so it was appended to the end and nothing came after it.
            if (!OnlyZeros(stream, end, length))
                throw Damaged(path, position, $"record {sequence} does not verify, and data that is not a record follows it at byte {end}");
            var payload = new byte[size];
            Span<byte> trailer = stackalloc byte[RecordTrailerSize];
            stream.Position = position + RecordHeaderSize;
            stream.ReadExactly(payload);
            stream.ReadExactly(trailer);
            if (!trailer.ContainsAnyExcept((byte)0)) return $"record {sequence} at byte {position}, whose trailer never landed";
            bool payloadHolds = PayloadHolds(header, payload);
            if (!payloadHolds && HasZeroSector(payload, position + RecordHeaderSize))
                return $"record {sequence} at byte {position}, part of whose payload never landed (a zeroed sector)";
            throw Damaged(path, position, payloadHolds
                ? $"record {sequence} is complete but its trailer does not match its header"
                : $"record {sequence} is complete (its trailer is in place) but its payload fails its checksum");
        }

        if (!header.ContainsAnyExcept((byte)0)) return $"a record at byte {position} whose header never landed";
        // A damaged header hides the record's length; a trailer at the end of the data that points back here shows the
        // record was written completely.
        long dataEnd = EndOfData(stream, position, length);
        if (dataEnd - position >= RecordHeaderSize + RecordTrailerSize)
        {
            Span<byte> trailer = stackalloc byte[RecordTrailerSize];
            stream.Position = dataEnd - RecordTrailerSize;
            stream.ReadExactly(trailer);
            int size = BinaryPrimitives.ReadInt32LittleEndian(trailer[8..]);
            if (trailer[12..].SequenceEqual(TrailerMark) && dataEnd - RecordTrailerSize - size - RecordHeaderSize == position)
                throw Damaged(path, position, "its header fails its checksum, but the record is complete (its trailer is in place)");
        }
        return $"an unfinished record at byte {position} (its header does not verify and no trailer closes it)";
    }

    /// <summary>The first offset in [from, length) where a record header after <paramref name="last"/> holds its checksum; -1 if none.</summary>
    private static long FindRecordHeader(FileStream stream, long from, long length, long last)
    {
        long highest = last + (length - from) / (RecordHeaderSize + RecordTrailerSize) + 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long chunk = from; chunk <= length - RecordHeaderSize; chunk += buffer.Length - RecordHeaderSize + 1)
            {
                stream.Position = chunk;
                int read = stream.ReadAtLeast(buffer, (int)Math.Min(buffer.Length, length - chunk), throwOnEndOfStream: false);
                for (int i = 0; i + RecordHeaderSize <= read; i++)
                {
                    var candidate = buffer.AsSpan(i, RecordHeaderSize);
                    long sequence = BinaryPrimitives.ReadInt64LittleEndian(candidate[8..]);
                    if (sequence <= last || sequence > highest || candidate[5] != 0 || candidate[6] != 0 || candidate[7] != 0) continue;
                    if (HeaderHolds(candidate)) return chunk + i;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return -1;
    }

    /// <summary>Whether the payload (at file offset <paramref name="offset"/>) holds a whole 512-byte disk sector of zeros: a write that never landed.</summary>
    private static bool HasZeroSector(ReadOnlySpan<byte> payload, long offset)
    {
        const int Sector = 512;
        for (long start = (offset + Sector - 1) / Sector * Sector; start + Sector <= offset + payload.Length; start += Sector)
            if (!payload.Slice((int)(start - offset), Sector).ContainsAnyExcept((byte)0)) return true;
        return false;
    }

    /// <summary>The file's length without the zero bytes at its end (never below <paramref name="from"/>).</summary>
    private static long EndOfData(FileStream stream, long from, long length)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long end = length;
            while (end > from)
            {
                int count = (int)Math.Min(buffer.Length, end - from);
                stream.Position = end - count;
                stream.ReadExactly(buffer, 0, count);
                int lastData = buffer.AsSpan(0, count).LastIndexOfAnyExcept((byte)0);
                if (lastData >= 0) return end - count + lastData + 1;
                end -= count;
            }
            return from;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool OnlyZeros(FileStream stream, long from, long length) => EndOfData(stream, from, length) == from;

    private static bool HeaderHolds(ReadOnlySpan<byte> header) =>
        BinaryPrimitives.ReadUInt64LittleEndian(header[24..]) == XxHash3.HashToUInt64(header[..24]);

    private static bool PayloadHolds(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload) =>
        BinaryPrimitives.ReadUInt64LittleEndian(header[16..]) == XxHash3.HashToUInt64(payload);

    private static bool TrailerMatches(ReadOnlySpan<byte> trailer, ReadOnlySpan<byte> header) =>
        trailer[..8].SequenceEqual(header[24..]) && trailer[8..12].SequenceEqual(header[..4]) && trailer[12..].SequenceEqual(TrailerMark);

    private static (int Size, byte Type, long Sequence) Describe(ReadOnlySpan<byte> header) =>
        (BinaryPrimitives.ReadInt32LittleEndian(header), header[4], BinaryPrimitives.ReadInt64LittleEndian(header[8..]));

    private static CorruptFileException Damaged(string path, long position, string problem) =>
        new(path, $"the record at byte {position} is damaged: {problem}. The log is damaged, not just cut short; nothing was changed.", null);

    /// <summary>
    /// Reads a version-1 log: records of <c>[u32 length][u8 type][3 reserved][i64 sequence][u64 XxHash3 of type,
    /// sequence and payload][payload]</c>, with no header checksum, so a record that fails with only zeros (or
    /// nothing) after its claimed end is taken for a torn tail.
    /// </summary>
    private static Contents ReadVersion1(string path, FileStream stream, long length, long baseSequence)
    {
        const int Version1HeaderSize = 24;
        var entries = new List<LogEntry>();
        long position = HeaderSize;
        long last = baseSequence;
        Span<byte> header = stackalloc byte[Version1HeaderSize];
        while (position < length)
        {
            string problem;
            long end = length;
            if (length - position < Version1HeaderSize) problem = "an incomplete record header";
            else
            {
                stream.Position = position;
                stream.ReadExactly(header);
                var (size, type, sequence) = Describe(header);
                if (size is < 0 or > MaxRecordBytes) problem = $"a record that claims {size} bytes";
                else if (position + Version1HeaderSize + size > length) problem = "an incomplete record";
                else
                {
                    end = position + Version1HeaderSize + size;
                    var payload = new byte[size];
                    stream.ReadExactly(payload);
                    if (Version1Checksum(type, sequence, payload) != BinaryPrimitives.ReadUInt64LittleEndian(header[16..])) problem = "a record that fails its checksum";
                    else if (sequence != last + 1) problem = $"record {sequence} after record {last}";
                    else
                    {
                        entries.Add(new LogEntry(sequence, type, payload));
                        last = sequence;
                        position = end;
                        continue;
                    }
                }
            }
            if (end < length && !OnlyZeros(stream, position, length))
                throw Damaged(path, position, $"{problem}, and more of the log follows it");
            return new Contents(1, baseSequence, entries, position, $"{problem} at byte {position}");
        }
        return new Contents(1, baseSequence, entries, position, null);
    }

    private static ulong Version1Checksum(byte type, long sequence, ReadOnlySpan<byte> payload)
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
