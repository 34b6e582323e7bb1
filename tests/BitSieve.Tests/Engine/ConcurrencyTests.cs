using System.Collections.Concurrent;
using System.Diagnostics;

namespace BitSieve.Tests.Engine;

/// <summary>Searches running while another thread writes: no exceptions, no deleted points, no lost points.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Searches_while_writing_see_no_deleted_points_and_never_fail()
    {
        const int dim = 32, stable = 2000, k = 10;
        using var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, TrainingSize = 500 });
        var stableRows = TestData.Shifted(stable, dim, seed: 1, shift: 0.5f);
        collection.UpsertBatch(TestData.Ids(stable), stableRows);
        // Always deleted while the threads run.
        var doomed = TestData.Ids(500, 100_000);
        collection.UpsertBatch(doomed, TestData.Shifted(500, dim, seed: 2, shift: 0.5f));
        foreach (var id in doomed) collection.Delete(id);
        var doomedSet = doomed.ToHashSet();
        const ulong churnFirst = 200_000;

        var errors = new ConcurrentQueue<Exception>();
        var clock = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(1);
        bool Running() => clock.Elapsed < duration && errors.IsEmpty;
        // What each thread is doing, for the message if something hangs.
        var doing = new string[5];
        long searches = 0, writes = 0;
        int churnLive = 0;

        // Dedicated threads: pool tasks may not all start within the second on a 2-core machine.
        var writer = Task.Factory.StartNew(() =>
        {
            var random = new Random(3);
            ulong next = churnFirst;
            var inserted = new Queue<ulong>();
            try
            {
                while (Running())
                {
                    doing[4] = $"upsert batch at {next}";
                    var ids = TestData.Ids(20, next);
                    next += 20;
                    collection.UpsertBatch(ids, TestData.Shifted(20, dim, seed: (int)next, shift: 0.5f));
                    foreach (var id in ids) inserted.Enqueue(id);
                    doing[4] = "delete";
                    while (inserted.Count > 300) collection.Delete(inserted.Dequeue());
                    churnLive = inserted.Count;
                    // Replace a stable point by itself: it must stay findable throughout.
                    int s = random.Next(stable);
                    doing[4] = "upsert stable";
                    collection.Upsert((ulong)s, stableRows.AsSpan(s * dim, dim));
                    doing[4] = "compact";
                    if (random.Next(50) == 0) collection.Compact();
                    doing[4] = "idle";
                    Interlocked.Increment(ref writes);
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var searchers = Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
        {
            var random = new Random(10 + t);
            try
            {
                while (Running())
                {
                    int s = random.Next(stable);
                    var q = stableRows.AsSpan(s * dim, dim).ToArray();
                    int mode = random.Next(5);
                    doing[t] = $"mode {mode}";
                    IReadOnlyList<Hit> hits = mode switch
                    {
                        0 => collection.Search(q, new SearchOptions { K = k, Quality = Quality.Exact }).Hits,
                        1 => collection.Search(q, new SearchOptions { K = k, Oversampling = 4 }).Hits,
                        2 => collection.SearchBatch(q, new SearchOptions { K = k, Threads = 2 })[0].Hits,
                        3 => collection.SearchExact(q, k).Hits,
                        _ => collection.Search(q, new SearchOptions { K = k, Threads = 2 }).Hits,
                    };
                    if (hits.Count != k) throw new InvalidOperationException($"{hits.Count} hits, expected {k}");
                    if (hits.Any(h => doomedSet.Contains(h.Id))) throw new InvalidOperationException("a deleted point was returned");
                    if (hits.Any(h => h.Id >= stable && h.Id < churnFirst)) throw new InvalidOperationException("an id that was never inserted was returned");
                    if (hits.Select(h => h.Id).Distinct().Count() != k) throw new InvalidOperationException("duplicate ids in one answer");
                    // The query is a stable point's own vector: it is its own best hit (cosine 1).
                    if (hits[0].Score < 0.9999f) throw new InvalidOperationException($"query = point {s}, best hit {hits[0]}");
                    doing[t] = "idle";
                    Interlocked.Increment(ref searches);
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        try
        {
            await Task.WhenAll([writer, .. searchers]).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"hung: threads are at [{string.Join("; ", doing)}] after {searches} searches, {writes} writes");
        }

        Assert.True(errors.IsEmpty, string.Join("\n---\n", errors));
        Assert.True(searches > 0 && writes > 0, $"{searches} searches, {writes} writes ran; threads at [{string.Join("; ", doing)}]; elapsed {clock.Elapsed}");
        Assert.Equal(stable + churnLive, collection.Count);
        Assert.All(doomed, id => Assert.False(collection.Contains(id)));
    }

    [Fact]
    public void Dispose_while_searches_run_does_not_throw_and_searchers_see_only_object_disposed()
    {
        const int dim = 32;
        for (int round = 0; round < 3; round++)
        {
            var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim });
            collection.UpsertBatch(TestData.Ids(3000), TestData.Shifted(3000, dim, seed: 1, shift: 0.5f));
            var q = TestData.Shifted(1, dim, seed: 2, shift: 0.5f);
            var unexpected = new ConcurrentQueue<Exception>();
            int started = 0;
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                try
                {
                    Interlocked.Increment(ref started);
                    while (true) collection.Search(q);
                }
                catch (ObjectDisposedException)
                {
                    // The only acceptable way out.
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                }
            })).ToArray();
            foreach (var t in threads) t.Start();
            while (Volatile.Read(ref started) < threads.Length) Thread.Sleep(1);
            Thread.Sleep(30);

            var disposeError = Record.Exception(collection.Dispose);
            foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(10)), "a searcher did not stop after Dispose");
            Assert.True(disposeError is null, $"round {round}: Dispose threw while searches were running: {disposeError}");
            Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected));
        }
    }
}
