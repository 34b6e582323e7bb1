using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using BitSieve.Tests.Engine;

namespace BitSieve.Tests.Storage;

/// <summary>Searches during upserts, deletes, payload changes, checkpoints and compaction: no failure, no deleted or unknown id.</summary>
public sealed class StorageConcurrencyTests : IDisposable
{
    private const int Dim = 24;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-conc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Searches_never_fail_nor_return_deleted_or_unknown_ids_while_writes_and_compactions_run()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, TrainingSize = 256 });
        c.Upsert(DatabaseTests.Points(1500, seed: 1, dim: Dim));
        long nextId = 1500;              // ids below this were inserted (written before the counter moves)
        long deleteClock = 0;            // bumps after each acknowledged delete
        var deletedAt = new ConcurrentDictionary<ulong, long>();
        var failures = new ConcurrentQueue<string>();
        // Every loop ends by the clock, not by a signal from the test thread: the test's own continuation may wait
        // for a scheduler thread while the suite runs other tests, and the workers must not depend on it.
        var timer = System.Diagnostics.Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(4);

        var writer = Task.Run(() =>
        {
            var random = new Random(3);
            int round = 0;
            while (timer.Elapsed < duration)
            {
                ulong first = (ulong)Interlocked.Read(ref nextId);
                c.Upsert(DatabaseTests.Points(100, seed: 100 + round, firstId: first, dim: Dim));
                Interlocked.Add(ref nextId, 100);
                // Delete a few live ids (never re-used), then record when the delete was acknowledged.
                var victims = Enumerable.Range(0, 30).Select(_ => (ulong)random.NextInt64(0, (long)first + 100))
                    .Where(id => !deletedAt.ContainsKey(id)).Distinct().ToList();
                c.Delete(victims.Select(id => (PointId)id));
                long clock = Interlocked.Increment(ref deleteClock);
                foreach (ulong id in victims) deletedAt[id] = clock;
                c.SetPayload(PointSelector.ByIds([first]), new JsonObject { ["touched"] = round });
                if (round % 7 == 3) c.Compact();
                else if (round % 5 == 1) c.Checkpoint();
                round++;
            }
        });

        var searchers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            var random = new Random(10 + t);
            int searches = 0;
            while (timer.Elapsed < duration || searches < 20)
            {
                long clockBefore = Interlocked.Read(ref deleteClock);
                var query = TestData.Gaussian(1, Dim, seed: random.Next());
                try
                {
                    var options = new SearchOptions { K = 10, Quality = searches % 3 == 0 ? Quality.Exact : Quality.Default };
                    var result = c.Search(query, options);
                    long maxId = Interlocked.Read(ref nextId) + 100;
                    foreach (var hit in result.Hits)
                    {
                        ulong id = hit.Id.Number;
                        if (deletedAt.TryGetValue(id, out long when) && when <= clockBefore) failures.Enqueue($"search returned id {id}, deleted before it started");
                        if ((long)id >= maxId) failures.Enqueue($"search returned unknown id {id}");
                        if (hit.Payload?["n"]?.GetValue<long>() != (long)id) failures.Enqueue($"id {id} came with the payload of another point: {hit.Payload?.ToJsonString()}");
                    }
                    var page = c.Scroll(null, 50);
                    foreach (var point in page.Points)
                        if (deletedAt.TryGetValue(point.Id.Number, out long w) && w <= clockBefore) failures.Enqueue($"scroll returned deleted id {point.Id}");
                }
                catch (Exception e)
                {
                    failures.Enqueue($"search failed: {e}");
                }
                searches++;
            }
            return searches;
        })).ToArray();

        await writer;
        await Task.WhenAll(searchers);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        foreach (var searcher in searchers) Assert.True(await searcher >= 20);
        Assert.Equal(c.CountPoints(), c.Count);
    }
}
