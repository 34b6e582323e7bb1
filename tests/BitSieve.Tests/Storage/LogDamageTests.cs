using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Tests.Engine;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Log damage, exhaustively: a collection with a checkpoint and two acknowledged batches in its log only (as a crash
/// leaves it; the first and the last record are the two cases a rule must tell apart), then every bit of the log's
/// file header and of every record header and trailer flipped, and the log cut at every byte; each case is opened as a
/// reader and as a writer. Either every acknowledged point comes back exactly (ids, vectors, payloads, an exact
/// search), or a <see cref="CorruptFileException"/> names the damaged file and <c>wal.log</c> and <c>points.db</c>
/// are byte for byte unchanged. Torn appends (an unacknowledged record cut, or with parts that never landed) must
/// recover. Then sampled bit flips in the column files, an originals segment, the header of <c>points.db</c> and the
/// whole of <c>points.db</c>.
/// With <c>BITSIEVE_LONG_TESTS=1</c> every bit of the whole log (payloads too) and of the points database's header
/// is flipped, every cut of the torn record tried, and more bits of the column files sampled. The manifest is left to
/// its own tests.
/// </summary>
public sealed class LogDamageTests : IDisposable
{
    private const int Dim = 4;
    private static readonly bool LongMode = Environment.GetEnvironmentVariable("BITSIEVE_LONG_TESTS") == "1";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bitsieve-logdamage-" + Guid.NewGuid().ToString("N"));
    private readonly List<Point> _points = [];
    private readonly float[] _query = TestData.Gaussian(1, Dim, seed: 77);
    private readonly List<PointId> _nearest;

    public LogDamageTests()
    {
        // One batch in the checkpoint, two acknowledged batches in the log only (small, so every cut stays cheap).
        var db = Database.Open(Template);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
        for (int b = 0; b < 3; b++)
        {
            var batch = DatabaseTests.Points(b == 0 ? 4 : 1, seed: 30 + b, firstId: (ulong)b * 10, dim: Dim);
            c.Upsert(batch);
            _points.AddRange(batch);
            if (b == 0) c.Checkpoint();
        }
        _nearest = NearestIds(c);
        db.Close(checkpoint: false);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string Template => Path.Combine(_root, "template");

    private static string CollectionOf(string database) => Path.Combine(database, "collections", "c");

    /// <summary>One case: a file of the collection (relative to its folder) replaced by damaged bytes.</summary>
    private sealed record Damage(string What, string File, byte[] Bytes);

    [Fact]
    public void LogDamage_every_header_and_trailer_bit_and_every_cut_is_recovered_or_reported()
    {
        string wal = Path.Combine(CollectionOf(Template), WriteAheadLog.FileName);
        byte[] log = File.ReadAllBytes(wal);
        var offsets = LogFile.RecordOffsets(wal);
        Assert.Equal(2, offsets.Count);

        var bits = new SortedSet<long>();
        for (long bit = 0; bit < LogFile.FileHeaderSize * 8; bit++) bits.Add(bit);
        for (int r = 0; r < offsets.Count; r++)
        {
            long start = offsets[r];
            long end = r + 1 < offsets.Count ? offsets[r + 1] : log.Length;
            for (long bit = start * 8; bit < (start + LogFile.RecordHeaderSize(2)) * 8; bit++) bits.Add(bit);
            for (long bit = (end - LogFile.RecordTrailerSize(2)) * 8; bit < end * 8; bit++) bits.Add(bit);
        }
        if (LongMode)
            for (long bit = 0; bit < log.Length * 8L; bit++) bits.Add(bit);
        var flips = bits.Select(bit => new Damage($"bit {bit} of wal.log flipped", WriteAheadLog.FileName, Flipped(log, bit))).ToList();
        var recovered = Run(flips);
        // Every header and trailer bit is covered by a checksum or a comparison: no flip there goes unnoticed.
        if (!LongMode) Assert.DoesNotContain(true, recovered);

        var cuts = Enumerable.Range(0, log.Length)
            .Select(length => new Damage($"wal.log cut to {length} of {log.Length} bytes", WriteAheadLog.FileName, log[..length])).ToList();
        var cutRecovered = Run(cuts);
        for (int i = 0; i < cuts.Count; i++) Assert.False(cutRecovered[i], $"{cuts[i].What}: acknowledged records lost without an error");
    }

    [Fact]
    public void LogDamage_a_torn_unacknowledged_append_is_discarded_at_every_cut_and_when_parts_never_landed()
    {
        // What a crash during the append of a fourth record (never applied, never acknowledged) can leave.
        byte[] intact = File.ReadAllBytes(Path.Combine(CollectionOf(Template), WriteAheadLog.FileName));
        string scratch = Path.Combine(_root, "scratch");
        Restore(scratch, null);
        using (var log = WriteAheadLog.Open(CollectionOf(scratch), 1, 3, Durability.Always, out var entries))
            log.Append(entries[^1].Type, entries[^1].Payload.Span);
        byte[] appended = File.ReadAllBytes(Path.Combine(CollectionOf(scratch), WriteAheadLog.FileName));
        int start = intact.Length;

        var tails = new List<Damage>();
        // Every cut inside the header and the trailer, every 7th inside the payload (every one in the long mode).
        for (int length = start; length <= appended.Length; length++)
            if (LongMode || length < start + LogFile.RecordHeaderSize(2) || length > appended.Length - LogFile.RecordTrailerSize(2) || length % 7 == 0)
                tails.Add(new Damage($"the fourth record cut to {length - start} bytes", WriteAheadLog.FileName, appended[..length]));
        tails.Add(new Damage("the fourth record's header never landed", WriteAheadLog.FileName, Zeroed(appended, start, LogFile.RecordHeaderSize(2))));
        tails.Add(new Damage("the fourth record's trailer never landed", WriteAheadLog.FileName,
            Zeroed(appended, appended.Length - LogFile.RecordTrailerSize(2), LogFile.RecordTrailerSize(2))));
        tails.Add(new Damage("zeros after the log", WriteAheadLog.FileName, [.. intact, .. new byte[4096]]));
        tails.Add(new Damage("zeros after the fourth record's header", WriteAheadLog.FileName,
            [.. appended.AsSpan(0, start + LogFile.RecordHeaderSize(2)), .. new byte[700]]));
        var recovered = Run(tails);
        for (int i = 0; i < tails.Count; i++) Assert.True(recovered[i], $"{tails[i].What}: reported as damage instead of recovered");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LogDamage_a_last_record_with_a_zeroed_sector_is_torn_but_one_with_a_flipped_payload_bit_is_damage(bool flip)
    {
        // At the level of the log alone: a last record of 3000 bytes (so it spans whole 512-byte sectors), never applied.
        string directory = Path.Combine(_root, "log");
        Directory.CreateDirectory(directory);
        byte[] payload = [.. Enumerable.Range(0, 3000).Select(i => (byte)(1 + i % 251))];
        using (var log = WriteAheadLog.Open(directory, 0, 0, Durability.Always, out _))
        {
            log.Append(LogRecords.Upsert, payload);
            log.Append(LogRecords.Upsert, payload);
        }
        string path = Path.Combine(directory, WriteAheadLog.FileName);
        byte[] bytes = File.ReadAllBytes(path);
        long last = LogFile.RecordOffsets(path)[1];
        long payloadStart = last + LogFile.RecordHeaderSize(2);
        if (flip) bytes[payloadStart + 1000] ^= 0x10;
        else bytes.AsSpan((int)((payloadStart + 511) / 512 * 512), 512).Clear();
        File.WriteAllBytes(path, bytes);

        if (flip)
        {
            var e = Assert.Throws<CorruptFileException>(() => WriteAheadLog.ReadOnly(directory, 0, 1));
            Assert.Equal(path, e.FilePath);
            Assert.Throws<CorruptFileException>(() => WriteAheadLog.Open(directory, 0, 1, Durability.Always, out _).Dispose());
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
        else
        {
            Assert.Single(WriteAheadLog.ReadOnly(directory, 0, 1));
            Assert.Equal(bytes, File.ReadAllBytes(path));
            using (WriteAheadLog.Open(directory, 0, 1, Durability.Always, out var entries)) Assert.Single(entries);
            Assert.Equal(last, new FileInfo(path).Length);
            // Had the points database applied the torn record, it was acknowledged: that is reported, not truncated.
            File.WriteAllBytes(path, bytes);
            Assert.Throws<CorruptFileException>(() => WriteAheadLog.ReadOnly(directory, 0, 2));
            Assert.Throws<CorruptFileException>(() => WriteAheadLog.Open(directory, 0, 2, Durability.Always, out _).Dispose());
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void LogDamage_sampled_bit_flips_in_column_files_and_originals_are_reported()
    {
        var random = new Random(12);
        var cases = new List<Damage>();
        var originalRows = new List<Damage>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(CollectionOf(Template), "index"), "*.col").Order())
        {
            string name = Path.GetRelativePath(CollectionOf(Template), file);
            byte[] bytes = File.ReadAllBytes(file);
            bool originals = Path.GetFileName(file).StartsWith("originals.", StringComparison.Ordinal);
            foreach (long bit in Sample(random, bytes.Length, headerBytes: ColumnFile.HeaderSize, LongMode ? 256 : 24))
            {
                var damage = new Damage($"bit {bit} of {name} flipped", name, Flipped(bytes, bit));
                (originals && bit >= ColumnFile.HeaderSize * 8 ? originalRows : cases).Add(damage);
            }
        }
        var recovered = Run(cases);
        for (int i = 0; i < cases.Count; i++) Assert.False(recovered[i], $"{cases[i].What}: went unnoticed");

        // The rows of originals are memory-mapped, not read, on open (an open costs no pass over them): their
        // checksum is what a verifying open (compaction, a check) compares.
        Assert.NotEmpty(originalRows);
        string directory = Path.Combine(_root, "originals");
        foreach (var damage in originalRows)
        {
            Restore(directory, damage);
            var e = Assert.Throws<CorruptFileException>(() => VectorIndex.Open(Path.Combine(CollectionOf(directory), "index"), verifyOriginals: true).Dispose());
            Assert.Equal(Path.Combine(CollectionOf(directory), damage.File), e.FilePath);
        }
    }

    [Fact]
    public void LogDamage_sampled_bit_flips_in_the_points_database_header_are_reported_or_change_nothing_read() =>
        PointsDatabaseFlips(wholeFile: false);

    /// <summary>
    /// SQLite keeps no checksums of its pages. Before the points database had checksums of its rows and the open's
    /// cross-check of its id indexes against its table and the vector index, bit 98416 (in the index on point ids)
    /// silently hid point 3; now every sampled flip (96; 1,024 in the long mode) is reported or changes nothing read.
    /// </summary>
    [Fact]
    public void LogDamage_sampled_bit_flips_in_the_whole_points_database_are_reported_or_change_nothing_read() =>
        PointsDatabaseFlips(wholeFile: true);

    private void PointsDatabaseFlips(bool wholeFile)
    {
        // Fold SQLite's own WAL (left by the crash) into points.db, so that the flips land in the live file.
        string points = Path.Combine(CollectionOf(Template), PointStore.FileName);
        using (var connection = new SqliteConnection($"Data Source={points};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            command.ExecuteNonQuery();
        }
        foreach (string side in new[] { "-wal", "-shm" }) File.Delete(points + side);
        byte[] bytes = File.ReadAllBytes(points);

        var random = new Random(13);
        // The first 100 bytes are SQLite's database header (every bit of it in the long mode).
        var bits = wholeFile ? Sample(random, bytes.Length, headerBytes: 100, LongMode ? 1024 : 96)
            : LongMode ? [.. Enumerable.Range(0, 800).Select(bit => (long)bit)] : Sample(random, 100, headerBytes: 100, 96);
        var cases = bits
            .Select(bit => new Damage($"bit {bit} of points.db flipped", PointStore.FileName, Flipped(bytes, bit))).ToList();
        Run(cases);
    }

    /// <summary>
    /// Runs each case on a fresh copy of the template (in parallel, one folder per worker): see
    /// <see cref="OpenRecoversOrReports"/>. Returns, per case, whether the writer recovered everything.
    /// </summary>
    private bool[] Run(List<Damage> cases)
    {
        var recovered = new bool[cases.Count];
        int workers = 0;
        Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(0, cases.Count, 16),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => Path.Combine(_root, "case-" + Interlocked.Increment(ref workers)),
            (range, _, directory) =>
            {
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    Restore(directory, cases[i]);
                    recovered[i] = OpenRecoversOrReports(directory, Path.Combine(CollectionOf(directory), cases[i].File), cases[i].What);
                }
                return directory;
            },
            _ => { });
        return recovered;
    }

    /// <summary>
    /// Opens the database in <paramref name="directory"/> as a reader, then as a writer. Each either recovers every
    /// acknowledged point exactly, or reports damage naming <paramref name="damaged"/> without changing a file.
    /// Returns whether the writer recovered.
    /// </summary>
    private bool OpenRecoversOrReports(string directory, string damaged, string what)
    {
        bool recovered = false;
        foreach (bool readOnly in new[] { true, false })
        {
            var before = LogFile.Snapshot(CollectionOf(directory));
            byte[] damagedBefore = File.ReadAllBytes(damaged);
            try
            {
                var db = Database.Open(directory, new DatabaseOptions { ReadOnly = readOnly });
                try
                {
                    AssertEverything(db.GetCollection("c"), what);
                }
                finally
                {
                    db.Close(checkpoint: false);
                }
                recovered = true;
                if (readOnly) LogFile.AssertUnchanged(before, CollectionOf(directory));
            }
            catch (CorruptFileException e)
            {
                Assert.True(e.FilePath == damaged, $"{what}: the error names {e.FilePath}, not {damaged}: {e.Message}");
                AssertUnchanged(directory, before, damaged, damagedBefore, what);
                recovered = false;
            }
        }
        return recovered;
    }

    private static void AssertUnchanged(string directory, Dictionary<string, byte[]?> before, string damaged, byte[] damagedBefore, string what)
    {
        try
        {
            LogFile.AssertUnchanged(before, CollectionOf(directory));
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{what}: {e.Message}");
        }
        Assert.True(damagedBefore.AsSpan().SequenceEqual(File.ReadAllBytes(damaged)), $"{what}: the damaged file was changed");
    }

    private void AssertEverything(Collection c, string what)
    {
        Assert.True(c.Count == _points.Count, $"{what}: {c.Count} points instead of {_points.Count}");
        var found = c.Retrieve(_points.Select(p => p.Id), withPayload: true, withVector: true).ToDictionary(p => p.Id);
        foreach (var point in _points)
        {
            Assert.True(found.TryGetValue(point.Id, out var record), $"{what}: point {point.Id} is missing");
            Assert.True(point.Vector.Span.SequenceEqual(record!.Vector), $"{what}: point {point.Id} has another vector");
            Assert.True(JsonNode.DeepEquals(point.Payload, record.Payload), $"{what}: point {point.Id} has payload {record.Payload?.ToJsonString()}");
        }
        Assert.True(_nearest.SequenceEqual(NearestIds(c)), $"{what}: an exact search answers differently");
    }

    private List<PointId> NearestIds(Collection c) =>
        [.. c.Search(_query, new SearchOptions { K = 3, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id)];

    /// <summary>Replaces <paramref name="directory"/> by a fresh copy of the template, with the damaged file written.</summary>
    private void Restore(string directory, Damage? damage)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        foreach (string folder in Directory.EnumerateDirectories(Template, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(directory, Path.GetRelativePath(Template, folder)));
        foreach (string file in Directory.EnumerateFiles(Template, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(directory, Path.GetRelativePath(Template, file)));
        if (damage is not null) File.WriteAllBytes(Path.Combine(CollectionOf(directory), damage.File), damage.Bytes);
    }

    /// <summary>Bits to flip: <paramref name="count"/> distinct ones, half in the first <paramref name="headerBytes"/> bytes.</summary>
    private static SortedSet<long> Sample(Random random, int length, int headerBytes, int count)
    {
        var bits = new SortedSet<long>();
        while (bits.Count < count / 2) bits.Add(random.NextInt64(Math.Min(length, headerBytes) * 8L));
        while (bits.Count < count) bits.Add(random.NextInt64(length * 8L));
        return bits;
    }

    private static byte[] Flipped(byte[] bytes, long bit)
    {
        var copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (int)(bit % 8));
        return copy;
    }

    private static byte[] Zeroed(byte[] bytes, int start, int count)
    {
        var copy = (byte[])bytes.Clone();
        copy.AsSpan(start, count).Clear();
        return copy;
    }
}
