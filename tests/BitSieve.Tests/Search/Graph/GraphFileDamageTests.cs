using System.Buffers.Binary;
using System.Text.Json.Nodes;
using BitSieve.Storage;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// A damaged graph file of a collection (issue 14): each kind of damage a crash, a bad disk or a foreign file leaves —
/// a torn file, a cut header, a wrong magic, a newer format version, a flipped payload byte, a missing file — makes the
/// open fail with an error naming the graph file, the integrity check reports that file (and that the graph, being
/// derived from the points, loses no point), the failed open changes no file, and with the saved file back every
/// point opens again.
/// </summary>
public sealed class GraphFileDamageTests
{
    private const int Dim = MiniLmFixture.Dimension, Points = 1500, Logged = 200;

    public static TheoryData<string> Damages => ["torn", "cut header", "magic", "newer version", "payload byte", "missing"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_graph_file_is_reported_naming_it_and_loses_no_point(string damage)
    {
        using var dir = new TempDirectory();
        var options = new DatabaseOptions { Durability = Durability.OsBuffered };
        string indexDir = Path.Combine(dir.Path, "collections", "c", "index");
        using (var db = Database.Open(dir.Path, options))
        {
            var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, Index = IndexType.Graph });
            c.Upsert([.. Enumerable.Range(0, Points).Select(PointOf)]);
            c.Checkpoint();
            c.Upsert([.. Enumerable.Range(Points, Logged).Select(PointOf)]); // in the log only
            db.Close(checkpoint: false);
        }
        string graph = Directory.GetFiles(indexDir, "graph.*.col").Single();
        var saved = File.ReadAllBytes(graph);
        var damaged = (byte[])saved.Clone();
        switch (damage)
        {
            case "torn": damaged = damaged[..(damaged.Length / 2)]; break; // what a write cut short leaves
            case "cut header": damaged = damaged[..(ColumnFile.HeaderSize / 2)]; break;
            case "magic": damaged[0] ^= 0x20; break;
            case "newer version": BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(8), ColumnFile.Version + 1); break;
            case "payload byte": damaged[ColumnFile.HeaderSize + (damaged.Length - ColumnFile.HeaderSize) / 3] ^= 0x04; break;
            case "missing": break;
            default: throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
        }
        if (damage == "missing") File.Delete(graph);
        else File.WriteAllBytes(graph, damaged);
        var others = Directory.GetFiles(indexDir).Append(Path.Combine(dir.Path, "collections", "c", "wal.log"))
            .Where(f => f != graph).ToDictionary(f => f, File.ReadAllBytes);

        using (var db = Database.Open(dir.Path, options))
        {
            var e = Assert.ThrowsAny<Exception>(() => db.GetCollection("c"));
            Assert.True(e is CorruptFileException or FileNotFoundException, $"{e.GetType().Name}: {e.Message}");
            Assert.Contains(Path.GetFileName(graph), e.Message, StringComparison.Ordinal);

            var report = db.Check("c").Collections.Single();
            var problem = Assert.Single(report.Problems);
            Assert.Equal($"collections/c/index/{Path.GetFileName(graph)}", problem.File);
            Assert.Contains("no point is lost", problem.Lost, StringComparison.Ordinal);
        }

        // The failed open and the check changed no file of the index and not the log (it still holds the logged points), and with the
        // saved graph back every point is there and the graph answers with it.
        foreach (var (file, bytes) in others) Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{file} changed");
        File.WriteAllBytes(graph, saved);
        using (var db = Database.Open(dir.Path, options))
        {
            var c = db.GetCollection("c");
            Assert.Equal(Points + Logged, c.Count);
            Assert.Empty(c.GraphProblems());
            Assert.True(db.Check("c").IsSound);
        }
    }

    private static Point PointOf(int row) =>
        new(new PointId((ulong)row), MiniLmFixture.Base.AsMemory(row * Dim, Dim), new JsonObject { ["row"] = row });
}
