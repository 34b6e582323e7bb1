using BitSieve.Storage;
using CsCheck;

namespace BitSieve.Tests.Storage;

public class ColumnFileTests
{
    [Fact]
    public void RoundTripsAnyPayload()
    {
        using var dir = new TempDirectory();
        Gen.ULong.Array[0, 3000].Sample(data =>
        {
            string path = dir.File($"ids-{Guid.NewGuid():N}.col");
            var info = ColumnFile.Write<ulong>(path, ColumnKind.Ids, data);
            Assert.Equal(data.Length, info.Count);
            Assert.Equal(data, ColumnFile.ReadAll<ulong>(path, ColumnKind.Ids, data.Length, info.Checksum));
            Assert.Equal(ColumnFile.HeaderSize + 8L * data.Length, new FileInfo(path).Length);
            Assert.False(File.Exists(path + ".tmp"));
        }, iter: 50);
    }

    [Fact]
    public void PayloadIsAlignedAfterA64ByteHeader()
    {
        using var dir = new TempDirectory();
        string path = dir.File("originals.col");
        float[] data = [1f, -2.5f, 3.25f];
        ColumnFile.Write<float>(path, ColumnKind.Originals, data);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("BSVCOL\0\0"u8.ToArray(), bytes[..8]);
        Assert.Equal("ORIG"u8.ToArray(), bytes[12..16]);
        Assert.Equal(data, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(64)).ToArray());
        ColumnFile.Validate(path, ColumnKind.Originals, sizeof(float), 3);
    }

    [Fact]
    public void EveryFlippedBitIsDetected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("signs.col");
        var data = Enumerable.Range(0, 40).Select(i => (ulong)i * 0x9E3779B97F4A7C15UL).ToArray();
        ColumnFile.Write<ulong>(path, ColumnKind.Signs, data);
        var original = File.ReadAllBytes(path);
        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            var bytes = (byte[])original.Clone();
            bytes[bit >> 3] ^= (byte)(1 << (bit & 7));
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Signs, data.Length));
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void EveryTruncationIsDetected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("factors.col");
        ColumnFile.Write<float>(path, ColumnKind.Factors, Enumerable.Range(0, 30).Select(i => i * 0.5f).ToArray());
        var original = File.ReadAllBytes(path);
        for (int length = 0; length < original.Length; length++)
        {
            File.WriteAllBytes(path, original[..length]);
            var e = Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<float>(path, ColumnKind.Factors, 30));
            Assert.Contains(path, e.Message);
            Assert.Throws<CorruptFileException>(() => ColumnFile.Validate(path, ColumnKind.Factors, sizeof(float), 30));
        }
        File.WriteAllBytes(path, [.. original, 0]);
        Assert.Contains("unexpected bytes", Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<float>(path, ColumnKind.Factors, 30)).Message);
    }

    [Fact]
    public void GarbageIsRejectedNeverCrashes()
    {
        using var dir = new TempDirectory();
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            string path = dir.File($"garbage-{Guid.NewGuid():N}.col");
            File.WriteAllBytes(path, bytes);
            Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Ids, 4));
            Assert.Throws<CorruptFileException>(() => ColumnFile.Validate(path, ColumnKind.Originals, 4, 4));
        }, iter: 300);
        string path = dir.File("text.col");
        File.WriteAllText(path, "This is a text file that was renamed.\n");
        Assert.Contains("not a BitSieve column file", Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Ids, 4)).Message);
    }

    [Fact]
    public void WrongKindCountOrChecksumIsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ids.col");
        var info = ColumnFile.Write<ulong>(path, ColumnKind.Ids, [1, 2, 3]);
        Assert.Contains("'IDS '", Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Signs, 3)).Message);
        Assert.Contains("3 elements", Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Ids, 4)).Message);
        Assert.Contains("differs from the one in manifest.json", Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Ids, 3, info.Checksum ^ 1)).Message);
        Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<float>(path, ColumnKind.Ids, 6));
        Assert.Contains("missing", Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(dir.File("none.col"), ColumnKind.Ids, 3)).Message);
    }

    [Fact]
    public void NewerVersionIsNamed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ids.col");
        ColumnFile.Write<ulong>(path, ColumnKind.Ids, [7]);
        var bytes = File.ReadAllBytes(path);
        bytes[8] = 2;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CorruptFileException>(() => ColumnFile.ReadAll<ulong>(path, ColumnKind.Ids, 1));
        Assert.Contains("written by a newer BitSieve", e.Message);
        Assert.Equal(path, e.FilePath);
    }
}
