using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Tests.Engine;
using Xunit.Abstractions;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Power loss, not just kill -9: rounds of upserts, deletes, checkpoints, compactions and close/reopen run against
/// <see cref="PowerLossDisk"/>, which cuts the power at a random step (a create, fsync, rename, delete or directory
/// fsync of BitSieve's own files) and then leaves only what was durable — every write not fsynced and every
/// directory entry not synced lost, or (every third and fourth round of three) a sector-granular prefix of the unsynced
/// bytes kept, with or without the file's new length. The database is then reopened with the operating system's files:
/// every open must succeed (none of these models may produce damage BitSieve reports: a torn prefix of an append is a
/// torn tail, never a record whose trailer landed without its header), every acknowledged write must be there with its
/// exact vector and payload, the write in flight at the cut applied whole or not at all, and an exact search must
/// agree with a rebuild from the surviving points. SQLite's files are not modelled: they keep every committed
/// transaction (see docs/storage.md, "What the power-loss test covers").
/// </summary>
[Collection(Name)]
public sealed class PowerLossTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// Run alone: the disk model is installed process-wide (<see cref="StorageFiles.Current"/>), and while other tests'
    /// paths pass through it untouched, its work would compete with tests that count what they get done in a few seconds.
    /// </summary>
    public const string Name = "Power loss (alone)";

    private const int Dim = 8, Ids = 200;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-powerloss-" + Guid.NewGuid().ToString("N"));

    private static bool LongRun => Environment.GetEnvironmentVariable("BITSIEVE_LONG_TESTS") == "1";

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Power_cut_at_random_steps_of_writes_checkpoints_and_compactions_loses_no_acknowledged_write()
    {
        int rounds = LongRun ? 3000 : 200;
        var random = new Random(20261204);
        // A graph collection: its graph file is saved, and must survive, with the columns.
        using (var created = Database.Open(_dir))
            created.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot, Index = IndexType.Graph });
        var acknowledged = new Dictionary<ulong, (float[] Vector, string Payload)>();
        var previous = StorageFiles.Current;
        int cutsInFlight = 0;
        for (int round = 0; round < rounds; round++)
        {
            var torn = (TornWrites)(round % 3);
            bool someEntriesLand = round / 3 % 2 == 1;
            var disk = new PowerLossDisk(_dir) { CutAt = random.Next(1, 160) };
            Func<Dictionary<ulong, (float[], string)>, Dictionary<ulong, (float[], string)>>? inFlight = null;
            string done = "";
            StorageFiles.Current = disk;
            Database? db = null;
            try
            {
                db = Database.Open(_dir);
                var c = db.GetCollection("c");
                for (int step = 0; step < 16; step++)
                {
                    int what = random.Next(12);
                    if (what < 6)
                    {
                        var points = NewPoints(random, round);
                        inFlight = state => Upserted(state, points);
                        c.Upsert(points);
                        done += "u";
                    }
                    else if (what < 8)
                    {
                        var ids = Enumerable.Range(0, random.Next(1, 12)).Select(_ => (ulong)random.Next(Ids)).ToArray();
                        inFlight = state => Deleted(state, ids);
                        c.Delete(ids.Select(id => new PointId(id)));
                        done += "d";
                    }
                    else
                    {
                        inFlight = state => state;
                        switch (what)
                        {
                            case 8:
                                c.Checkpoint();
                                done += "C";
                                break;
                            case 9:
                                c.Compact();
                                done += "K";
                                break;
                            default:
                                db.Dispose();
                                db = null;
                                db = Database.Open(_dir);
                                c = db.GetCollection("c");
                                done += "R";
                                break;
                        }
                    }
                    acknowledged = inFlight(acknowledged);
                    inFlight = null;
                }
                disk.Cut(); // the power fails while the database is idle
            }
            catch (Exception e) when (IsPowerCut(e))
            {
                Assert.True(disk.IsCut, $"round {round}: {e}");
            }
            finally
            {
                try
                {
                    db?.Close(checkpoint: false);
                }
                catch (AggregateException e) when (IsPowerCut(e))
                {
                }
                StorageFiles.Current = previous;
            }
            string restored = disk.RestoreDurableState(torn, someEntriesLand, random);
            output.WriteLine($"round {round} ({torn}{(someEntriesLand ? ", unsynced entries may land" : "")}): cut at step {Math.Min(disk.CutAt, disk.Steps + 1)} after \"{done}\"{(inFlight is null ? "" : " during the next")}; {restored}");
            if (inFlight is not null) cutsInFlight++;
            acknowledged = Verify(round, acknowledged, inFlight, random);
        }
        output.WriteLine($"{rounds} rounds, {cutsInFlight} cut during an operation; {acknowledged.Count} points at the end");
        Assert.True(cutsInFlight > rounds / 2, $"only {cutsInFlight} of {rounds} cuts landed during an operation");
    }

    [Fact]
    public void Power_cut_at_every_step_of_creating_or_deleting_a_collection_leaves_the_old_or_the_new_state()
    {
        var random = new Random(20261205);
        int cases = 0, acknowledgedCases = 0;
        foreach (bool create in new[] { true, false })
        {
            // The steps the operation takes without a cut; then a cut at each of them, and one after the last.
            long steps = CreateOrDelete(create, cutAt: 0, TornWrites.None, someEntriesLand: false, random, out _);
            Assert.True(steps >= 3, $"{(create ? "creating" : "deleting")} a collection took only {steps} steps through StorageFiles");
            for (long cut = 1; cut <= steps + 1; cut++)
            {
                // Each model of the disk at every cut in the long run; two of them, in turn, in the default run.
                foreach (int model in LongRun ? Enumerable.Range(0, 6) : [(int)(cut % 3), 3 + (int)((cut + 1) % 3)])
                {
                    CreateOrDelete(create, cut, (TornWrites)(model % 3), someEntriesLand: model >= 3, random, out bool acknowledged);
                    cases++;
                    if (acknowledged) acknowledgedCases++;
                }
            }
            output.WriteLine($"{(create ? "create" : "delete")}: {steps} steps");
        }
        output.WriteLine($"{cases} cuts, {acknowledgedCases} after the operation returned");
        Assert.True(acknowledgedCases > 0 && acknowledgedCases < cases, $"{acknowledgedCases} of {cases} cuts came after the operation returned");
    }

    /// <summary>
    /// In a fresh database holding "keep" (and "doomed", to delete): creates "fresh" or deletes "doomed" with the power cut at
    /// step <paramref name="cutAt"/> (never when 0), then reopens and checks the state is the old or the new one —
    /// the new one when the operation returned — and that any collection there is whole. Returns the steps taken.
    /// </summary>
    private long CreateOrDelete(bool create, long cutAt, TornWrites torn, bool someEntriesLand, Random random, out bool acknowledged)
    {
        string dir = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        var options = new CollectionOptions { Dimension = Dim, Metric = Metric.Dot };
        var keep = NewPoints(random, round: 0);
        var doomed = NewPoints(random, round: 1);
        using (var setup = Database.Open(dir))
        {
            setup.CreateCollection("keep", options).Upsert(keep);
            if (!create) setup.CreateCollection("doomed", options).Upsert(doomed);
        }

        var disk = new PowerLossDisk(dir) { CutAt = cutAt };
        var previous = StorageFiles.Current;
        StorageFiles.Current = disk;
        acknowledged = false;
        Database? db = null;
        try
        {
            db = Database.Open(dir);
            if (create) db.CreateCollection("fresh", options);
            else Assert.True(db.DeleteCollection("doomed"));
            acknowledged = true;
            disk.Cut();
        }
        catch (Exception e) when (IsPowerCut(e))
        {
            Assert.True(disk.IsCut, e.ToString());
        }
        finally
        {
            db?.Close(checkpoint: false);
            StorageFiles.Current = previous;
        }
        string restored = disk.RestoreDurableState(torn, someEntriesLand, random);
        string what = $"{(create ? "create" : "delete")}, cut at step {cutAt} of {disk.Steps} ({torn}{(someEntriesLand ? ", unsynced entries may land" : "")}): {restored}";

        using var reopened = Database.Open(dir);
        var names = reopened.CollectionNames();
        AssertWhole(reopened, "keep", keep, what);
        if (create)
        {
            Assert.True(!acknowledged || names.Contains("fresh"), $"{what}: the created collection is gone");
            if (names.Contains("fresh")) AssertWhole(reopened, "fresh", [], what);
        }
        else
        {
            Assert.True(!acknowledged || !names.Contains("doomed"), $"{what}: the deleted collection is back");
            if (names.Contains("doomed")) AssertWhole(reopened, "doomed", doomed, what);
        }
        string[] allowed = ["keep", create ? "fresh" : "doomed"];
        Assert.True(names.All(allowed.Contains), $"{what}: collections [{string.Join(", ", names)}]");
        var leftovers = Directory.EnumerateDirectories(Path.Combine(dir, "collections"), ".*").Select(Path.GetFileName).ToList();
        Assert.True(leftovers.Count == 0, $"{what}: staging folders left after a writer open: {string.Join(", ", leftovers)}");
        return disk.Steps;
    }

    /// <summary>The collection opens, holds exactly these points (vectors and payloads), and <c>Check</c> finds it sound.</summary>
    private static void AssertWhole(Database db, string name, List<Point> points, string what)
    {
        Collection c;
        try
        {
            c = db.GetCollection(name);
        }
        catch (Exception e) when (e is CorruptFileException or IOException or KeyNotFoundException)
        {
            Assert.Fail($"{what}: collection '{name}' is listed but does not open: {e.Message}");
            throw;
        }
        Assert.True(c.Count == points.Count, $"{what}: collection '{name}' holds {c.Count} points, not {points.Count}");
        var found = c.Retrieve(points.Select(p => p.Id), withPayload: true, withVector: true).ToDictionary(p => p.Id);
        Assert.All(points, p => Assert.True(found.TryGetValue(p.Id, out var f) && f.Vector!.AsSpan().SequenceEqual(p.Vector.Span)
            && f.Payload!.ToJsonString() == p.Payload!.ToJsonString(), $"{what}: point {p.Id} of '{name}' differs"));
        var report = db.Check(name);
        Assert.True(report.IsSound, $"{what}: {report.ToJson()}");
    }

    /// <summary>Reopens with the OS's files and checks the state is the acknowledged one, or it with the write in flight applied whole.</summary>
    private Dictionary<ulong, (float[] Vector, string Payload)> Verify(int round, Dictionary<ulong, (float[] Vector, string Payload)> acknowledged,
        Func<Dictionary<ulong, (float[], string)>, Dictionary<ulong, (float[], string)>>? inFlight, Random random)
    {
        Database db;
        try
        {
            db = Database.Open(_dir);
            db.GetCollection("c");
        }
        catch (CorruptFileException e)
        {
            Assert.Fail($"round {round}: a power cut must not read as damage, but the open reported: {e.Message}");
            throw;
        }
        try
        {
            var c = db.GetCollection("c");
            var found = c.Retrieve(Enumerable.Range(0, Ids).Select(i => new PointId((ulong)i)), withPayload: true, withVector: true)
                .ToDictionary(p => p.Id.Number, p => (Vector: p.Vector!, Payload: p.Payload!.ToJsonString()));
            var candidates = new List<Dictionary<ulong, (float[] Vector, string Payload)>> { acknowledged };
            if (inFlight is not null) candidates.Add(inFlight(acknowledged));
            var state = candidates.FirstOrDefault(s => Same(s, found));
            Assert.True(state is not null, $"round {round}: {Difference(acknowledged, found)}" + (inFlight is null ? "" : $" (nor with the write in flight: {Difference(candidates[1], found)})"));
            Assert.Equal(state.Count, c.Count);

            // An exact search equals a rebuild from the surviving points (the index agrees with the points database).
            using var rebuilt = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
            if (state.Count > 0) rebuilt.UpsertBatch([.. state.Keys], [.. state.Values.SelectMany(v => v.Vector)]);
            var query = TestData.Gaussian(1, Dim, seed: random.Next());
            var expected = rebuilt.SearchExact(query, 10).Hits.Select(h => h.Id).ToList();
            var actual = c.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id.Number).ToList();
            Assert.Equal(expected, actual);
            // The graph holds exactly the surviving points and answers with them only.
            Assert.Empty(c.GraphProblems());
            Assert.All(c.Search(query, withPayload: false).Hits, h => Assert.True(state.ContainsKey(h.Id.Number), $"round {round}: deleted point {h.Id} returned"));
            return state;
        }
        finally
        {
            db.Close(checkpoint: random.Next(2) == 0);
        }
    }

    private static bool IsPowerCut(Exception e) => e switch
    {
        PowerCutException => true,
        AggregateException a => a.InnerExceptions.All(IsPowerCut),
        _ => e.InnerException is not null && IsPowerCut(e.InnerException),
    };

    private static List<Point> NewPoints(Random random, int round)
    {
        int count = random.Next(1, 24);
        var ids = new HashSet<ulong>();
        while (ids.Count < count) ids.Add((ulong)random.Next(Ids));
        return [.. ids.Select(id =>
        {
            var vector = new float[Dim];
            for (int d = 0; d < Dim; d++) vector[d] = (float)(random.NextDouble() * 2 - 1);
            return new Point(new PointId(id), vector, new JsonObject { ["round"] = round, ["r"] = random.Next() });
        })];
    }

    private static Dictionary<ulong, (float[], string)> Upserted(Dictionary<ulong, (float[], string)> state, List<Point> points)
    {
        var next = new Dictionary<ulong, (float[], string)>(state);
        foreach (var p in points) next[p.Id.Number] = (p.Vector.ToArray(), p.Payload!.ToJsonString());
        return next;
    }

    private static Dictionary<ulong, (float[], string)> Deleted(Dictionary<ulong, (float[], string)> state, ulong[] ids)
    {
        var next = new Dictionary<ulong, (float[], string)>(state);
        foreach (ulong id in ids) next.Remove(id);
        return next;
    }

    private static bool Same(Dictionary<ulong, (float[] Vector, string Payload)> expected, Dictionary<ulong, (float[] Vector, string Payload)> found) =>
        expected.Count == found.Count && expected.All(e => found.TryGetValue(e.Key, out var f)
            && f.Payload == e.Value.Payload && f.Vector.AsSpan().SequenceEqual(e.Value.Vector));

    private static string Difference(Dictionary<ulong, (float[] Vector, string Payload)> expected, Dictionary<ulong, (float[] Vector, string Payload)> found)
    {
        var missing = expected.Keys.Where(k => !found.ContainsKey(k)).ToList();
        var extra = found.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var changed = expected.Keys.Where(k => found.TryGetValue(k, out var f) && (f.Payload != expected[k].Payload || !f.Vector.AsSpan().SequenceEqual(expected[k].Vector))).ToList();
        return $"{missing.Count} acknowledged points missing ({string.Join(",", missing.Take(10))}), {extra.Count} unexpected ({string.Join(",", extra.Take(10))}), {changed.Count} changed ({string.Join(",", changed.Take(10))})";
    }
}

/// <summary>Runs <see cref="PowerLossTests"/> after the parallel tests, alone.</summary>
[CollectionDefinition(PowerLossTests.Name, DisableParallelization = true)]
public sealed class PowerLossCollection;
