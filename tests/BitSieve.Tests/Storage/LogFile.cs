using System.Buffers.Binary;
using System.IO.Hashing;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Test helpers that read <c>wal.log</c> independently of the engine's reader: where its records start (by the
/// framing of the file's format version), and byte-for-byte snapshots of a collection's files.
/// </summary>
internal static class LogFile
{
    public const int FileHeaderSize = 32;

    /// <summary>Bytes of a record's header in a log of <paramref name="version"/>.</summary>
    public static int RecordHeaderSize(int version) => version == 1 ? 24 : 32;

    /// <summary>Bytes of a record's trailer in a log of <paramref name="version"/> (none in version 1).</summary>
    public static int RecordTrailerSize(int version) => version == 1 ? 0 : 16;

    /// <summary>The format version written in a log's header.</summary>
    public static int Version(string path) => BinaryPrimitives.ReadInt32LittleEndian(File.ReadAllBytes(path).AsSpan(8));

    /// <summary>The byte offset of every record of an intact log.</summary>
    public static List<long> RecordOffsets(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var offsets = new List<long>();
        long position = FileHeaderSize;
        while (position < bytes.Length)
        {
            offsets.Add(position);
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)position));
            position += RecordHeaderSize(version) + length + RecordTrailerSize(version);
        }
        Assert.Equal(bytes.Length, position);
        return offsets;
    }

    /// <summary>
    /// Rewrites an intact log in the layout older builds wrote (format version 1): the same file header, and records
    /// of <c>[u32 length][u8 type][3 zero][i64 sequence][u64 XxHash3 of type, sequence and payload][payload]</c>.
    /// </summary>
    public static void RewriteAsVersion1(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var output = new MemoryStream();
        var header = bytes.AsSpan(0, FileHeaderSize).ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), XxHash3.HashToUInt64(header.AsSpan(0, 24)));
        output.Write(header);
        foreach (long offset in RecordOffsets(path))
        {
            var record = bytes.AsSpan((int)offset);
            int length = BinaryPrimitives.ReadInt32LittleEndian(record);
            byte type = record[4];
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
            var payload = record.Slice(RecordHeaderSize(version), length);
            var hash = new XxHash3();
            hash.Append([type]);
            hash.Append(record.Slice(8, 8));
            hash.Append(payload);
            var recordHeader = new byte[24];
            BinaryPrimitives.WriteInt32LittleEndian(recordHeader, length);
            recordHeader[4] = type;
            BinaryPrimitives.WriteInt64LittleEndian(recordHeader.AsSpan(8), sequence);
            BinaryPrimitives.WriteUInt64LittleEndian(recordHeader.AsSpan(16), hash.GetCurrentHashAsUInt64());
            output.Write(recordHeader);
            output.Write(payload);
        }
        File.WriteAllBytes(path, output.ToArray());
    }

    /// <summary>The bytes of <c>wal.log</c> and <c>points.db</c> (and of SQLite's side files, when present) of a collection.</summary>
    public static Dictionary<string, byte[]?> Snapshot(string collectionDirectory) =>
        new[] { "wal.log", "points.db", "points.db-wal" }.ToDictionary(
            name => name,
            name => File.Exists(Path.Combine(collectionDirectory, name)) ? File.ReadAllBytes(Path.Combine(collectionDirectory, name)) : null);

    /// <summary>Asserts that the files of <see cref="Snapshot"/> hold the same bytes as before.</summary>
    public static void AssertUnchanged(Dictionary<string, byte[]?> before, string collectionDirectory)
    {
        foreach (var (name, bytes) in Snapshot(collectionDirectory))
        {
            byte[]? expected = before[name];
            // SQLite may leave an empty WAL file behind when it had none: no content, nothing changed.
            if (name == "points.db-wal" && (expected?.Length ?? 0) == 0 && (bytes?.Length ?? 0) == 0) continue;
            Assert.True(expected is null ? bytes is null : bytes is not null && expected.AsSpan().SequenceEqual(bytes), $"{name} was changed ({expected?.Length} bytes before, {bytes?.Length} after)");
        }
    }
}
