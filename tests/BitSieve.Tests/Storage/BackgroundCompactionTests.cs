using System.Collections.Concurrent;
using BitSieve.Storage;
using BitSieve.Filters;
using BitSieve.Tests.Engine;

namespace BitSieve.Tests.Storage;

/// <summary>
/// The writer compacts in the background (<see cref="CompactionPolicy"/>) while writes and searches continue: the result
/// equals a model of the live points, nothing acknowledged is lost, no deleted id is returned, and files and rows stay
/// bounded under repeated replacement of every point.
/// </summary>
public sealed class BackgroundCompactionTests : IDisposable
{
    private const int Dim = 32, K = 10;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-bgcompact-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Writes_and_searches_during_background_compactions_match_a_model_of_the_live_points()
    {
        var options = new DatabaseOptions { Durability = Durability.OsBuffered, Compaction = new CompactionPolicy { TombstoneFraction = 0.2, MinTombstones = 300 } };
        var model = new Dictionary<ulong, float[]>();
        var random = new Random(12);
        ulong nextId = 0;
        var db = Database.Open(_dir, options);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot, TrainingSize = 256 });
        c.Upsert(NewPoints(3000));

        // Searches run beside the writer; a delete is recorded (with the clock) once acknowledged, and ids are never reused.
        long deleteClock = 0;
        var deletedAt = new ConcurrentDictionary<ulong, long>();
        var failures = new ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();
        // Searchers on threads of their own: busy loops on the thread pool would starve the compaction's Parallel.For.
        var searchers = Enumerable.Range(0, 2).Select(s => Task.Factory.StartNew(() =>
        {
            var r = new Random(100 + s);
            while (!done.IsCancellationRequested)
            {
                long clock = Interlocked.Read(ref deleteClock);
                var hits = c.Search(TestData.Gaussian(1, Dim, r.Next()), new SearchOptions { K = K, Quality = Quality.Exact }, withPayload: false).Hits;
                if (hits.Count != K) failures.Enqueue($"{hits.Count} hits where {K} points are live");
                // Info() sizes the files while a compaction writes and renames them (the server calls it after each write).
                if (s == 0) c.Info();
                foreach (var hit in hits)
                    if (deletedAt.TryGetValue(hit.Id.Number, out long at) && at <= clock) failures.Enqueue($"deleted id {hit.Id} returned");
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        int compactions = 0, writesDuringCompaction = 0;
        long tombstonesMade = 0;
        bool wasCompacting = false;
        for (int round = 0; round < 600 && (compactions < 5 || writesDuringCompaction < 20); round++)
        {
            bool compacting = c.IsCompacting;
            if (wasCompacting && !compacting) compactions++;
            wasCompacting = compacting;
            if (compacting) writesDuringCompaction++;

            var live = model.Keys.ToArray();
            var replaced = Enumerable.Range(0, 100).Select(_ => live[random.Next(live.Length)]).Distinct().ToArray();
            c.Upsert(replaced.Select(NewPoint).ToList());
            var deleted = Enumerable.Range(0, 20).Select(_ => live[random.Next(live.Length)]).Where(id => !replaced.Contains(id)).Distinct().ToArray();
            Assert.Equal(deleted.Length, c.Delete(deleted.Select(id => new PointId(id))));
            long clock = Interlocked.Increment(ref deleteClock);
            foreach (ulong id in deleted)
            {
                model.Remove(id);
                deletedAt[id] = clock;
            }
            c.Upsert(NewPoints(20));
            // A replacement (one log record: deletes and upserts) must reach a compaction's copy whole, too.
            var swapped = live.Where(id => !replaced.Contains(id) && !deleted.Contains(id)).OrderBy(_ => random.Next()).Take(10).ToArray();
            var filter = Filter.Parse($$"""{"must":[{"has_id":[{{string.Join(",", swapped)}}]}]}""");
            Assert.Equal(swapped.Length, c.Replace(filter, NewPoints(10)));
            clock = Interlocked.Increment(ref deleteClock);
            foreach (ulong id in swapped)
            {
                model.Remove(id);
                deletedAt[id] = clock;
            }
            tombstonesMade += replaced.Length + deleted.Length + swapped.Length;
        }
        // On a loaded machine one compaction can outlast every round, taking writes all along: with the writes stopped
        // (the searches still running) it finishes, and counts.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (c.IsCompacting && DateTime.UtcNow < deadline) await Task.Delay(10);
        if (wasCompacting && !c.IsCompacting) compactions++;
        await done.CancelAsync();
        await Task.WhenAll(searchers);
        Assert.Empty(failures);
        Assert.True(compactions >= 1 && writesDuringCompaction > 0, $"{compactions} background compactions seen, {writesDuringCompaction} writes during them");

        c.Checkpoint(); // waits for a running compaction
        // On a loaded machine the writer can outpace a compaction: the tombstones made during it are in its copy. With
        // the writes stopped, one more write starts the compaction that is due, and it leaves (almost) none.
        c.Upsert(NewPoints(1));
        c.Checkpoint();
        Assert.True(c.Info().Tombstones < tombstonesMade / 4, $"{c.Info().Tombstones} tombstones left of {tombstonesMade}");
        VerifyAgainstModel(c, model, deletedAt.Keys);
        db.Dispose();
        using (var reopened = Database.Open(_dir, options)) VerifyAgainstModel(reopened.GetCollection("c"), model, deletedAt.Keys);

        List<Point> NewPoints(int count) => Enumerable.Range(0, count).Select(_ => NewPoint(nextId++)).ToList();

        Point NewPoint(ulong id)
        {
            var vector = TestData.Gaussian(1, Dim, random.Next());
            model[id] = vector;
            return new Point(id, vector);
        }
    }

    [Fact]
    public void Files_and_rows_stay_bounded_when_every_point_is_replaced_again_and_again()
    {
        const int Live = 3000, Rounds = 12;
        var options = new DatabaseOptions { Durability = Durability.OsBuffered };
        using var db = Database.Open(_dir, options);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot, TrainingSize = 256 });
        var random = new Random(5);
        c.Upsert(Points(0));
        c.Compact();
        long baseline = IndexBytes(c.Info()), databaseBaseline = c.Info().FileBytes["points_db"];

        for (int round = 1; round <= Rounds; round++)
        {
            var points = Points(round);
            for (int i = 0; i < Live; i += 100) c.Upsert(points.GetRange(i, 100));
            c.Checkpoint(); // as a long-running writer checkpoints: each one writes the rows added since as a new segment
            var info = c.Info();
            Assert.Equal(Live, info.Count);
            Assert.True(info.Count + info.Tombstones <= 2 * Live, $"round {round}: {info.Count + info.Tombstones} rows for {Live} live points");
            Assert.True(IndexBytes(info) <= 2 * baseline, $"round {round}: index + originals {IndexBytes(info)} bytes, {baseline} for the live points alone");
            Assert.True(info.FileBytes["points_db"] <= 2 * databaseBaseline, $"round {round}: points.db {info.FileBytes["points_db"]} bytes, {databaseBaseline} at first");
        }

        List<Point> Points(int round) =>
            Enumerable.Range(0, Live).Select(i => new Point((ulong)i, TestData.Gaussian(1, Dim, random.Next()),
                new System.Text.Json.Nodes.JsonObject { ["round"] = round, ["text"] = new string('x', 200) })).ToList();
    }

    [Theory]
    [InlineData(0.0, 1000)]
    [InlineData(1.5, 1000)]
    [InlineData(double.NaN, 1000)]
    [InlineData(0.2, 0)]
    public void A_policy_out_of_range_is_refused_when_the_database_opens(double fraction, int minimum)
    {
        var options = new DatabaseOptions { Compaction = new CompactionPolicy { TombstoneFraction = fraction, MinTombstones = minimum } };
        Assert.Throws<ArgumentOutOfRangeException>(() => Database.Open(_dir, options));
        Assert.False(Directory.Exists(_dir));
    }

    private static long IndexBytes(CollectionInfo info) => info.FileBytes["index"] + info.FileBytes["originals"];

    private static void VerifyAgainstModel(Collection c, Dictionary<ulong, float[]> model, ICollection<ulong> deleted)
    {
        Assert.Equal(model.Count, c.Count);
        var stored = c.Retrieve(model.Keys.Select(id => new PointId(id)), withPayload: false, withVector: true).ToDictionary(p => p.Id.Number);
        Assert.Equal(model.Count, stored.Count);
        foreach (var (id, vector) in model) Assert.Equal(vector, stored[id].Vector!);
        Assert.Empty(c.Retrieve(deleted.Select(id => new PointId(id)), withPayload: false));
        var random = new Random(7);
        for (int q = 0; q < 10; q++)
        {
            var query = TestData.Gaussian(1, Dim, random.Next());
            var expected = model.OrderByDescending(p => TestData.Dot(p.Value, query)).Take(K).Select(p => p.Key).ToList();
            var actual = c.Search(query, new SearchOptions { K = K, Quality = Quality.Exact }, withPayload: false).Hits.Select(h => h.Id.Number).ToList();
            Assert.Equal(expected, actual);
        }
    }
}
