using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BitSieve.Cli.Data;
using Xunit.Abstractions;

namespace BitSieve.Cli.Tests;

/// <summary>
/// The crash tests: <c>bitsieve import</c> runs as a child process and is killed with SIGKILL at random moments, 20
/// times on the same database (mid-batch, mid-fsync, or during the closing checkpoint). After each kill every point
/// reported committed must be there with its exact vector and payload, no batch may be half there, and exact search
/// must equal a fresh rebuild from the surviving points. <c>bitsieve compact</c> is killed the same way, during its
/// replay, its checkpoint and its compaction, on a graph collection: after each kill the graph must hold exactly the
/// surviving points (every ordinal a node, a live entry reaching every live point) and answer with them only. (The
/// import runs on a flat collection: re-importing 3,000 points 21 times into a graph costs minutes, not seconds; the
/// graph's inserts under kill -9 are covered by the compaction runs' replays and by <c>PowerLossTests</c>.) A power
/// loss, which also loses what the OS had not written, is <see cref="PowerLossTests"/>.
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
        var vectors = RandomVectors.Gaussian(Rows, Dim, seed: 77);
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
    /// <c>bitsieve compact</c> killed with SIGKILL at random moments — while it opens and replays the log, writes the
    /// compacted columns, swaps the manifest, deletes the old files or empties the log — 12 times, with deletes and
    /// replacements logged (and not checkpointed) before each run: after each kill the collection must open and hold
    /// exactly the points written, with their vectors and payloads, and an exact search must equal a rebuild.
    /// </summary>
    [Fact]
    public void Compaction_killed_12_times_loses_nothing_and_changes_nothing()
    {
        const int Points = 2000, Rounds = 12;
        string db = Path.Combine(_dir, "db");
        var random = new Random(1204);
        var state = new Dictionary<ulong, (float[] Vector, string Payload)>();
        using (var created = Database.Open(db))
            created.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot, Index = IndexType.Graph });
        double fullRunMs = 0;
        for (int round = 0; round <= Rounds; round++)
        {
            // Tombstones and a log to replay: replace a tenth of the ids, delete a fifth, close without a checkpoint.
            var database = Database.Open(db);
            try
            {
                var c = database.GetCollection("c");
                var vectors = RandomVectors.Gaussian(Points / 10, Dim, seed: random.Next());
                var points = Enumerable.Range(0, Points / 10).Select(i => (ulong)random.Next(Points)).Distinct()
                    .Select((id, i) => new Point(new PointId(id), vectors.AsMemory(i * Dim, Dim), new JsonObject { ["round"] = round, ["id"] = id }))
                    .ToList();
                if (round == 0)
                {
                    var all = RandomVectors.Gaussian(Points, Dim, seed: 5);
                    points = [.. Enumerable.Range(0, Points).Select(i => new Point(new PointId((ulong)i), all.AsMemory(i * Dim, Dim), new JsonObject { ["round"] = 0, ["id"] = i }))];
                }
                c.Upsert(points);
                foreach (var p in points) state[p.Id.Number] = (p.Vector.ToArray(), p.Payload!.ToJsonString());
                var doomed = Enumerable.Range(0, Points / 5).Select(_ => (ulong)random.Next(Points)).Distinct().ToList();
                c.Delete(doomed.Select(id => new PointId(id)));
                foreach (ulong id in doomed) state.Remove(id);
            }
            finally
            {
                database.Close(checkpoint: false);
            }

            // The first run completes and times a whole run; the others are killed at a random moment of one (odd
            // rounds), or a few milliseconds after the compacted index has started to be saved (even rounds; most of a
            // run is the process starting).
            int? killAfterMs = round == 0 ? null : random.Next((int)(fullRunMs * 1.1) + 1);
            bool duringSave = round > 0 && round % 2 == 0;
            var watch = Stopwatch.StartNew();
            bool completed = RunCompact(db, duringSave ? random.Next(40) : killAfterMs, duringSave);
            if (round == 0) fullRunMs = watch.Elapsed.TotalMilliseconds;
            output.WriteLine($"round {round}: {(completed ? "completed" : "killed")} after {watch.Elapsed.TotalMilliseconds:F0} ms{(duringSave ? ", once saving had started" : "")} (a whole run took {fullRunMs:F0} ms)");
            VerifyState(db, state, random);
        }
    }

    /// <summary>
    /// Runs <c>bitsieve compact</c>; kills it after <paramref name="killAfterMs"/> ms if set (counted from the moment
    /// a column file of the compacted index appears, with <paramref name="afterSaveStarts"/>); returns whether it completed.
    /// </summary>
    private static bool RunCompact(string db, int? killAfterMs, bool afterSaveStarts)
    {
        string index = Path.Combine(db, "collections", "c", "index");
        var before = Directory.GetFiles(index).ToHashSet();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll"), "compact", "--db", db, "--collection", "c" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (afterSaveStarts)
        {
            while (!process.HasExited && Directory.GetFiles(index).All(before.Contains)) Thread.Sleep(1);
        }
        if (killAfterMs is int ms && !process.WaitForExit(ms)) process.Kill(entireProcessTree: true); // SIGKILL on Unix
        process.WaitForExit();
        bool completed = process.ExitCode == 0 && output.Result.StartsWith("compacted c", StringComparison.Ordinal);
        if (killAfterMs is null) Assert.True(completed, $"compact failed ({process.ExitCode}): {errors.Result}");
        return completed;
    }

    private static void VerifyState(string dbPath, Dictionary<ulong, (float[] Vector, string Payload)> state, Random random)
    {
        var db = Database.Open(dbPath);
        try
        {
            var c = db.GetCollection("c");
            var found = c.Retrieve(state.Keys.Select(id => new PointId(id)), withPayload: true, withVector: true).ToDictionary(p => p.Id.Number);
            foreach (var (id, (vector, payload)) in state)
            {
                Assert.True(found.TryGetValue(id, out var point), $"point {id} is missing");
                Assert.Equal(vector, point.Vector!);
                Assert.Equal(payload, point.Payload!.ToJsonString());
            }
            Assert.Equal(state.Count, c.Count);
            using var rebuilt = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
            rebuilt.UpsertBatch([.. state.Keys], [.. state.Values.SelectMany(v => v.Vector)]);
            for (int q = 0; q < 3; q++)
            {
                var query = RandomVectors.Gaussian(1, Dim, seed: random.Next());
                var expected = rebuilt.SearchExact(query, 10).Hits.Select(h => h.Id).ToList();
                var actual = c.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id.Number).ToList();
                Assert.Equal(expected, actual);
                Assert.All(c.Search(query, withPayload: false).Hits, h => Assert.True(state.ContainsKey(h.Id.Number), $"deleted point {h.Id} returned"));
            }
            Assert.Empty(c.GraphProblems());
        }
        finally
        {
            db.Close(checkpoint: false);
        }
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
            passes[pass] = RandomVectors.Gaussian(Rows, Dim, seed: 500 + pass);
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
                var query = RandomVectors.Gaussian(1, Dim, seed: random.Next());
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
                var query = RandomVectors.Gaussian(1, Dim, seed: random.Next());
                var expected = rebuilt.SearchExact(query, 10).Hits.Select(h => ids[h.Id]).ToList();
                var actual = c.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id).ToList();
                Assert.Equal(expected, actual);
                // The default search (the graph's, where the collection has one) returns surviving points only, the full k.
                var graphHits = c.Search(query, withPayload: false).Hits;
                Assert.Equal(Math.Min(10, rows.Length), graphHits.Count);
                Assert.All(graphHits, h => Assert.Contains(h.Id, found.Keys));
            }
            Assert.Empty(c.GraphProblems());
        }
        finally
        {
            db.Close(checkpointOnClose);
        }
    }
}
