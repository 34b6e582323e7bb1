using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BitSieve.Cli.Data;
using BitSieve.Tests.Engine;
using Xunit.Abstractions;

namespace BitSieve.Tests.Storage;

/// <summary>
/// The crash test: <c>bitsieve import</c> runs as a child process and is killed with SIGKILL at random moments, 20
/// times on the same database. After each kill every point reported committed must be there with its exact vector
/// and payload, no batch may be half there, and exact search must equal a fresh rebuild from the surviving points.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Rows = 3000, Dim = 48, Batch = 100, Kills = 20;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Import_killed_20_times_loses_no_committed_point_and_leaves_no_half_batch()
    {
        Directory.CreateDirectory(_dir);
        string vectorsPath = Path.Combine(_dir, "v.fvecs"), payloadsPath = Path.Combine(_dir, "p.jsonl"), db = Path.Combine(_dir, "db");
        var vectors = TestData.Gaussian(Rows, Dim, seed: 77);
        VecsFile.WriteFvecs(vectorsPath, vectors, Dim);
        // Every fifth row names a UUID id; the rest take their row number.
        var ids = new PointId[Rows];
        var payloads = new string[Rows];
        using (var writer = new StreamWriter(payloadsPath))
        {
            for (int r = 0; r < Rows; r++)
            {
                var line = new JsonObject { ["row"] = r, ["text"] = $"point {r} — テキスト", ["tags"] = new JsonArray("x", r % 7) };
                payloads[r] = line.ToJsonString();
                ids[r] = r % 5 == 0 ? new PointId(new Guid(r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) : new PointId((ulong)r);
                if (r % 5 == 0) line["id"] = ids[r].ToString();
                writer.WriteLine(line.ToJsonString());
            }
        }

        var random = new Random(2026);
        long everCommitted = 0;
        for (int attempt = 0; attempt <= Kills; attempt++)
        {
            bool kill = attempt < Kills;
            // Kill once a random number of rows is committed, a random few milliseconds later: mid-batch, mid-fsync,
            // or (past the last row) during the closing checkpoint.
            long? killAt = kill ? random.Next(Rows + 2 * Batch) : null;
            long committed = RunImport(db, vectorsPath, payloadsPath, killAt, random.Next(40));
            everCommitted = Math.Max(everCommitted, committed);
            output.WriteLine($"run {attempt}: {(kill ? "killed" : "completed")} after committed {committed}");
            Verify(db, vectors, ids, payloads, everCommitted, checkpointOnClose: attempt % 2 == 0, random);
        }
        Assert.Equal(Rows, everCommitted);
    }

    /// <summary>
    /// Runs the import; when <paramref name="killAt"/> is set, kills it <paramref name="delayMs"/> ms after it reports
    /// that many rows committed (or after it finishes importing); returns the last "committed N" it printed.
    /// </summary>
    private static long RunImport(string db, string vectors, string payloads, long? killAt, int delayMs)
    {
        using var process = StartImport(db, vectors, payloads);
        long committed = 0;
        using var reached = new ManualResetEventSlim();
        var reader = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                Assert.StartsWith("committed ", line, StringComparison.Ordinal);
                long n = long.Parse(line.AsSpan("committed ".Length), CultureInfo.InvariantCulture);
                Interlocked.Exchange(ref committed, n);
                if (n >= killAt || n == Rows) reached.Set();
            }
            reached.Set();
        });
        var errors = process.StandardError.ReadToEndAsync();
        if (killAt is not null)
        {
            reached.Wait();
            Thread.Sleep(delayMs);
            if (!process.HasExited) process.Kill(entireProcessTree: true); // SIGKILL on Unix
        }
        process.WaitForExit();
        reader.Wait();
        if (killAt is null) Assert.True(process.ExitCode == 0, $"import failed ({process.ExitCode}): {errors.Result}");
        return Interlocked.Read(ref committed);
    }

    private static Process StartImport(string db, string vectors, string payloads)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { cli, "import", "--db", db, "--collection", "c", "--vectors", vectors, "--payloads", payloads,
                     "--batch", Batch.ToString(CultureInfo.InvariantCulture), "--metric", "dot" })
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    /// <summary>
    /// Imports every row again with new vectors, 8 times: each replacement pass makes the importer compact in the
    /// background (tombstones reach 20 % of rows after about 1,000 rows). Each pass is killed a random 0–20 ms (even
    /// passes) or 0–200 ms (odd ones) after the next generation's column files appear: while a background compaction (or
    /// the closing checkpoint) saves it, or while it catches up and swaps. After each kill every row reported committed has its new vector, every other row has its
    /// new or its previous one, whole batches at a time, and exact search equals a rebuild from what is there.
    /// </summary>
    [Fact]
    public async Task Replacing_import_killed_while_it_compacts_in_the_background_loses_no_committed_write()
    {
        const int Passes = 8;
        Directory.CreateDirectory(_dir);
        string payloadsPath = Path.Combine(_dir, "p.jsonl"), db = Path.Combine(_dir, "db"), index = Path.Combine(db, "collections", "c", "index");
        File.WriteAllLines(payloadsPath, Enumerable.Range(0, Rows).Select(r => new JsonObject { ["row"] = r }.ToJsonString()));
        var ids = Enumerable.Range(0, Rows).Select(r => new PointId((ulong)r)).ToArray();
        var payloads = Enumerable.Range(0, Rows).Select(r => new JsonObject { ["row"] = r }.ToJsonString()).ToArray();
        var passes = new float[Passes + 1][];
        string VectorsOf(int pass)
        {
            passes[pass] = TestData.Gaussian(Rows, Dim, seed: 500 + pass);
            string path = Path.Combine(_dir, $"v{pass}.fvecs");
            VecsFile.WriteFvecs(path, passes[pass], Dim);
            return path;
        }
        Assert.Equal(Rows, RunImport(db, VectorsOf(0), payloadsPath, killAt: null, 0));
        var current = new int[Rows]; // the pass each row's stored vector comes from

        var random = new Random(2027);
        int killedWhileImporting = 0;
        for (int pass = 1; pass <= Passes; pass++)
        {
            string vectorsPath = VectorsOf(pass);
            long generation = Generations(index).Max();
            using var process = StartImport(db, vectorsPath, payloadsPath);
            long committed = 0;
            var reader = Task.Run(() =>
            {
                while (process.StandardOutput.ReadLine() is { } line)
                    Interlocked.Exchange(ref committed, long.Parse(line.AsSpan("committed ".Length), CultureInfo.InvariantCulture));
            });
            var errors = process.StandardError.ReadToEndAsync();
            while (!process.HasExited && !Generations(index).Any(g => g > generation)) Thread.Sleep(1);
            long seen = Interlocked.Read(ref committed);
            Thread.Sleep(random.Next(pass % 2 == 0 ? 20 : 200)); // during the save, or during the catch-up and the writes after it
            bool killed = !process.HasExited;
            if (killed) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            await reader;
            string stderr = await errors;
            if (!killed) Assert.True(process.ExitCode == 0, $"import failed ({process.ExitCode}): {stderr}");
            if (killed && seen < Rows) killedWhileImporting++;
            committed = Interlocked.Read(ref committed);
            output.WriteLine($"pass {pass}: {(killed ? "killed" : "completed")} after committed {committed}, new generation seen at {seen}");

            using var opened = Database.Open(db);
            var c = opened.GetCollection("c");
            var found = c.Retrieve(ids, withPayload: true, withVector: true).ToDictionary(p => p.Id);
            Assert.Equal(Rows, c.Count);
            var next = new int[Rows];
            for (int r = 0; r < Rows; r++)
            {
                var vector = found[ids[r]].Vector!;
                Assert.Equal(payloads[r], found[ids[r]].Payload!.ToJsonString());
                if (vector.AsSpan().SequenceEqual(passes[pass].AsSpan(r * Dim, Dim))) next[r] = pass;
                else if (vector.AsSpan().SequenceEqual(passes[current[r]].AsSpan(r * Dim, Dim))) next[r] = current[r];
                else Assert.Fail($"row {r} holds neither its vector of pass {pass} nor that of pass {current[r]}");
                Assert.True(r >= committed || next[r] == pass, $"row {r} was reported committed ({committed}) in pass {pass} but holds its old vector");
            }
            for (int b = 0; b < Rows; b += Batch)
                Assert.True(next.AsSpan(b, Batch).IndexOfAnyExcept(next[b]) < 0, $"batch at row {b} is half replaced in pass {pass}");
            current = next;

            var flat = Enumerable.Range(0, Rows).SelectMany(r => passes[current[r]].AsSpan(r * Dim, Dim).ToArray()).ToArray();
            using var rebuilt = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
            rebuilt.UpsertBatch(Enumerable.Range(0, Rows).Select(r => (ulong)r).ToArray(), flat);
            for (int q = 0; q < 5; q++)
            {
                var query = TestData.Gaussian(1, Dim, seed: random.Next());
                var expected = rebuilt.SearchExact(query, 10).Hits.Select(h => ids[h.Id]).ToList();
                Assert.Equal(expected, c.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id).ToList());
            }
        }
        Assert.True(killedWhileImporting > 0, "no pass was killed while its background compaction saved");
    }

    /// <summary>The generations of the column files (and tmp files) in an index directory.</summary>
    private static IEnumerable<long> Generations(string index) =>
        Directory.EnumerateFiles(index, "*.col*").Select(f => long.Parse(Path.GetFileName(f).Split('.')[1], CultureInfo.InvariantCulture));

    private static void Verify(string dbPath, float[] vectors, PointId[] ids, string[] payloads, long committed, bool checkpointOnClose, Random random)
    {
        var db = Database.Open(dbPath);
        try
        {
            if (!db.CollectionExists("c"))
            {
                Assert.Equal(0, committed);
                return;
            }
            var c = db.GetCollection("c");
            var present = new bool[Rows];
            var found = c.Retrieve(ids, withPayload: true, withVector: true).ToDictionary(p => p.Id);
            for (int r = 0; r < Rows; r++)
            {
                if (!found.TryGetValue(ids[r], out var point))
                {
                    Assert.True(r >= committed, $"row {r} (id {ids[r]}) was reported committed ({committed}) but is missing");
                    continue;
                }
                present[r] = true;
                Assert.Equal(vectors.AsSpan(r * Dim, Dim).ToArray(), point.Vector!);
                Assert.Equal(payloads[r], point.Payload!.ToJsonString());
            }
            // A batch is one log record: all of it or none of it.
            for (int b = 0; b < Rows; b += Batch)
            {
                int count = present.AsSpan(b, Math.Min(Batch, Rows - b)).Count(true);
                Assert.True(count == 0 || count == Math.Min(Batch, Rows - b), $"batch at row {b} is half present ({count} rows)");
            }
            Assert.Equal(present.Count(p => p), c.Count);

            // Exact search equals a fresh in-memory rebuild from the surviving points.
            using var rebuilt = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
            var rows = Enumerable.Range(0, Rows).Where(r => present[r]).ToArray();
            var flat = rows.SelectMany(r => vectors.AsSpan(r * Dim, Dim).ToArray()).ToArray();
            if (rows.Length > 0) rebuilt.UpsertBatch(rows.Select(r => (ulong)r).ToArray(), flat);
            for (int q = 0; q < 5; q++)
            {
                var query = TestData.Gaussian(1, Dim, seed: random.Next());
                var expected = rebuilt.SearchExact(query, 10).Hits.Select(h => ids[h.Id]).ToList();
                var actual = c.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id).ToList();
                Assert.Equal(expected, actual);
            }
        }
        finally
        {
            db.Close(checkpointOnClose);
        }
    }
}
