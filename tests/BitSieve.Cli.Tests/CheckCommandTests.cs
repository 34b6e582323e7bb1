using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Cli;
using BitSieve.Storage;
using Microsoft.Data.Sqlite;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary><c>bitsieve check</c>: a sound database exits 0; each kind of damage exits 1 naming the file and what is lost.</summary>
public sealed class CheckCommandTests : IDisposable
{
    private const int Dim = 16;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.Path;

    private string CollectionDir => Path.Combine(Db, "collections", "c");

    private string IndexFile(string pattern) => Directory.EnumerateFiles(Path.Combine(CollectionDir, "index"), pattern).Single();

    /// <summary>Collection "c": a checkpoint of 300 points, then 3 batches of 50 in the log only; collection "d": 40 points, checkpointed.</summary>
    private void Build()
    {
        var db = Database.Open(Db);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, TrainingSize = 100 });
        c.Upsert(Points(300, seed: 1));
        c.Checkpoint();
        for (int b = 0; b < 3; b++) c.Upsert(Points(50, seed: 2 + b, firstId: 1000 + (ulong)b * 100));
        var d = db.CreateCollection("d", new CollectionOptions { Dimension = Dim });
        d.Upsert(Points(40, seed: 9));
        d.Checkpoint();
        db.Close(checkpoint: false);
    }

    private static List<Point> Points(int count, int seed, ulong firstId = 0)
    {
        var vectors = RandomVectors.Gaussian(count, Dim, seed);
        return Enumerable.Range(0, count).Select(i => new Point(firstId + (ulong)i, vectors.AsMemory(i * Dim, Dim),
            new JsonObject { ["n"] = (long)firstId + i, ["tag"] = i % 3 == 0 ? "a" : "b" })).ToList();
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x04));
    }

    [Fact]
    public async Task A_sound_database_exits_0_and_reports_every_file_it_read()
    {
        Build();
        var (code, output, error) = await Run("check", "--db", Db);
        Assert.True(code == 0, output + error);
        Assert.Contains("collection c: sound", output, StringComparison.Ordinal);
        Assert.Contains("collection d: sound", output, StringComparison.Ordinal);

        (code, output, _) = await Run("check", "--db", Db, "--json");
        Assert.Equal(0, code);
        using var report = JsonDocument.Parse(output);
        Assert.True(report.RootElement.GetProperty("sound").GetBoolean());
        var c = report.RootElement.GetProperty("collections")[0];
        Assert.Equal("c", c.GetProperty("name").GetString());
        Assert.Equal(450, c.GetProperty("points").GetInt64());
        var files = c.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        foreach (string expected in new[] { "collections/c/index/manifest.json", "collections/c/wal.log", "collections/c/points.db" })
            Assert.Contains(expected, files);
        Assert.Contains(files, f => f.StartsWith("collections/c/index/originals.", StringComparison.Ordinal));
        Assert.Equal(5 + 1 + 3, files.Count); // five columns, one segment of originals, manifest, log, points database
    }

    [Fact]
    public async Task It_runs_beside_the_writer_and_sees_its_logged_writes()
    {
        Build();
        using var writer = Database.Open(Db);
        writer.GetCollection("c").Upsert(Points(25, seed: 30, firstId: 5000));
        var (code, output, error) = await Run("check", "--db", Db, "--collection", "c", "--json");
        Assert.True(code == 0, output + error);
        using var report = JsonDocument.Parse(output);
        var collections = report.RootElement.GetProperty("collections");
        Assert.Equal(1, collections.GetArrayLength());
        Assert.Equal(475, collections[0].GetProperty("points").GetInt64());
    }

    public static TheoryData<string> Damages => new() { "manifest", "signs", "ids", "originals", "log", "points.db pages", "points.db rows" };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task Each_kind_of_damage_exits_1_naming_the_file_and_what_is_lost(string damage)
    {
        Build();
        string file = Damage(damage);

        var (code, output, error) = await Run("check", "--db", Db);
        Assert.True(code == 1, $"{damage}: exit {code}\n{output}{error}");
        Assert.Contains("collection c: DAMAGED", output, StringComparison.Ordinal);
        Assert.Contains("collection d: sound", output, StringComparison.Ordinal);
        Assert.Contains(file, output, StringComparison.Ordinal);

        (code, output, _) = await Run("check", "--db", Db, "--json");
        Assert.Equal(1, code);
        using var report = JsonDocument.Parse(output);
        Assert.False(report.RootElement.GetProperty("sound").GetBoolean());
        var problems = report.RootElement.GetProperty("collections")[0].GetProperty("problems").EnumerateArray().ToList();
        Assert.Contains(problems, p => p.GetProperty("file").GetString() == file && p.GetProperty("lost").GetString()!.Length > 0);
        Assert.Equal(0, report.RootElement.GetProperty("collections")[1].GetProperty("problems").GetArrayLength());

        // The check changed nothing: "d" stays sound, and checking again finds the same.
        Assert.Equal(0, (await Run("check", "--db", Db, "--collection", "d")).Code);
        Assert.Equal(1, (await Run("check", "--db", Db, "--collection", "c")).Code);
    }

    /// <summary>Damages one file of collection "c"; returns its path relative to the database, as check names it.</summary>
    private string Damage(string damage)
    {
        string Relative(string path) => Path.GetRelativePath(Db, path).Replace('\\', '/');
        switch (damage)
        {
            case "manifest":
            {
                // One digit of the centroid: still a valid manifest by every value, only the checksum tells.
                string path = Path.Combine(CollectionDir, "index", "manifest.json");
                string json = File.ReadAllText(path);
                int at = json.IndexOf("\"centroid\"", StringComparison.Ordinal);
                while (json[at] is < '1' or > '9') at++;
                File.WriteAllText(path, json[..at] + (char)('1' + (json[at] - '1' + 4) % 9) + json[(at + 1)..]);
                return Relative(path);
            }
            case "signs" or "ids":
            {
                string path = IndexFile($"{damage}.*.col");
                FlipByte(path, new FileInfo(path).Length - 3);
                return Relative(path);
            }
            case "originals":
            {
                // Opening does not read the originals, so only check (and compaction) can find this.
                string path = IndexFile("originals.*.col");
                FlipByte(path, ColumnFile.HeaderSize + 1001);
                using (var db = Database.Open(Db, new DatabaseOptions { ReadOnly = true })) Assert.Equal(450, db.GetCollection("c").Count);
                return Relative(path);
            }
            case "log":
            {
                string path = Path.Combine(CollectionDir, "wal.log");
                FlipByte(path, 32 + 24 + 40); // inside the first record's payload, with two records after it
                return Relative(path);
            }
            case "points.db pages":
            {
                // Every page but the first (the schema), once SQLite's own log is folded into the file.
                string path = Path.Combine(CollectionDir, "points.db");
                using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
                {
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                    command.ExecuteNonQuery();
                }
                long length = new FileInfo(path).Length;
                using (var stream = new FileStream(path, FileMode.Open))
                {
                    for (long page = 4096; page < length; page += 4096)
                    {
                        stream.Position = page + 100;
                        stream.Write(Enumerable.Repeat((byte)0x5A, 500).ToArray());
                    }
                }
                return Relative(path);
            }
            case "points.db rows":
            {
                // A sound SQLite file that disagrees with the index: two points gone from it.
                string path = Path.Combine(CollectionDir, "points.db");
                using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
                {
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = "DELETE FROM points WHERE num_id IN (7, 8)";
                    Assert.Equal(2, command.ExecuteNonQuery());
                }
                return Relative(path);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
        }
    }

    [Fact]
    public async Task A_missing_collection_or_database_is_a_usage_error()
    {
        Build();
        Assert.Equal(2, (await Run("check", "--db", Db, "--collection", "nope")).Code);
        Assert.Equal(2, (await Run("check", "--db", Path.Combine(Db, "nowhere"))).Code);
        Assert.Equal(0, (await Run("check", "--db", Db, "--collection", "d")).Code);
    }
}
