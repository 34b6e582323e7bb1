using System.Numerics.Tensors;
using BitSieve.Search.Graph;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// Searches through the graph beside its writes (issue 14), checked for correctness, not only for not failing: two
/// threads search a graph index (its calibration made to choose the graph) while one thread inserts batches, deletes
/// batches, and builds a compacted copy that the searches then move to. Each search is checked against exact search
/// over the points live throughout it (from a clock the writer ticks before and after each write): it returns no point
/// deleted before it began, and its recall@10 against the exact top 10 of those points (and of any point in flux it
/// returned) is ≥ 0.95 on average in each phase.
/// </summary>
public sealed class GraphConcurrencyTests
{
    private const int Dim = MiniLmFixture.Dimension, K = 10, Initial = 1000, InsertBatch = 40, DeleteBatch = 25, Rounds = 12;

    private static readonly CollectionOptions GraphOptions = new() { Dimension = Dim, Index = IndexType.Graph };

    private enum Phase
    {
        Inserts,
        Deletes,
        Compaction,
        AfterCompaction,
    }

    // Per point id (= its fixture row): the write clock when its insert began and ended, and when its delete began and ended.
    private readonly long[] _insertBegan = Never(), _insertEnded = Never(), _deleteBegan = Never(), _deleteEnded = Never();
    private long _clock;

    [Fact]
    public async Task Searches_beside_graph_inserts_deletes_and_a_compaction_keep_recall_against_exact_on_the_live_points()
    {
        var index = VectorIndex.Create(GraphOptions);
        VectorIndex? compacted = null;
        try
        {
            index.CalibrationOptions = LiveGraphTests.FreeVisits;
            Write(Enumerable.Range(0, Initial), ids => index.UpsertBatch(ids, RowsOf(ids)), _insertBegan, _insertEnded);
            Assert.Equal(IndexType.Graph, index.AnsweringIndex);
            var current = index;
            int phase = (int)Phase.Inserts;
            var recall = new double[4];
            var searches = new int[4];
            using var stop = new CancellationTokenSource();
            using var searching = new CountdownEvent(2);
            var searchers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
            {
                for (int n = t; !stop.IsCancellationRequested; n++)
                {
                    int before = Volatile.Read(ref phase);
                    double r = SearchAndCheck(Volatile.Read(ref current), n % MiniLmFixture.QueryRows);
                    int after = Volatile.Read(ref phase);
                    lock (searches)
                    {
                        if (before == after)
                        {
                            recall[before] += r;
                            searches[before]++;
                        }
                    }
                    if (n == t) searching.Signal();
                }
            })).ToArray();
            Assert.True(searching.Wait(TimeSpan.FromMinutes(2)), "the searchers did not start");

            // Inserts, then deletes (every write waits for a search to end after it, so that searches run beside each one
            // on a loaded machine), then a compacted copy built beside the searches, which then move to it.
            var rows = new Random(14);
            int next = Initial;
            for (int round = 0; round < Rounds; round++)
            {
                var ids = Enumerable.Range(next, InsertBatch);
                next += InsertBatch;
                Write(ids, batch => index.UpsertBatch(batch, RowsOf(batch)), _insertBegan, _insertEnded);
                AwaitASearch(searches, Phase.Inserts);
            }
            Volatile.Write(ref phase, (int)Phase.Deletes);
            for (int round = 0; round < Rounds; round++)
            {
                var ids = Enumerable.Range(0, next).Where(id => _deleteBegan[id] == long.MaxValue).OrderBy(_ => rows.Next()).Take(DeleteBatch);
                Write(ids, batch => { foreach (ulong id in batch) index.Delete(id); }, _deleteBegan, _deleteEnded);
                AwaitASearch(searches, Phase.Deletes);
            }
            Volatile.Write(ref phase, (int)Phase.Compaction);
            compacted = index.CompactedCopy();
            compacted.CalibrationOptions = LiveGraphTests.FreeVisits;
            Assert.Equal(0, compacted.Tombstones);
            Assert.Equal(IndexType.Graph, compacted.AnsweringIndex);
            AwaitASearch(searches, Phase.Compaction);
            Volatile.Write(ref phase, (int)Phase.AfterCompaction);
            Volatile.Write(ref current, compacted);
            for (int round = 0; round < Rounds / 2; round++)
            {
                var ids = Enumerable.Range(next, InsertBatch);
                next += InsertBatch;
                var target = compacted;
                Write(ids, batch => target.UpsertBatch(batch, RowsOf(batch)), _insertBegan, _insertEnded);
                AwaitASearch(searches, Phase.AfterCompaction);
            }
            stop.Cancel();
            await Task.WhenAll(searchers);

            Assert.Equal(IndexType.Graph, compacted.AnsweringIndex);
            Assert.Empty(compacted.GraphProblems());
            for (int p = 0; p < recall.Length; p++)
            {
                Assert.True(searches[p] > 0, $"no search ran during {(Phase)p}");
                double mean = recall[p] / searches[p];
                Assert.True(mean >= 0.95, $"recall@10 {mean:F4} over {searches[p]} searches during {(Phase)p}");
            }
        }
        finally
        {
            compacted?.Dispose();
            index.Dispose();
        }
    }

    /// <summary>One search on <paramref name="index"/>, checked against the points live throughout it; returns its recall@10.</summary>
    private double SearchAndCheck(VectorIndex index, int queryRow)
    {
        var query = MiniLmFixture.Queries.AsSpan(queryRow * Dim, Dim);
        long began = Volatile.Read(ref _clock);
        var hits = index.Search(query).Hits;
        long ended = Volatile.Read(ref _clock);
        foreach (var hit in hits)
        {
            int id = (int)hit.Id;
            Assert.True(Volatile.Read(ref _insertBegan[id]) <= ended, $"point {id} returned before it was written");
            Assert.True(Volatile.Read(ref _deleteEnded[id]) > began, $"point {id} returned after it was deleted");
        }
        // The exact top 10 of the points live throughout the search, and of the points in flux that it returned.
        var candidates = Enumerable.Range(0, _insertBegan.Length)
            .Where(id => Volatile.Read(ref _insertEnded[id]) <= began && Volatile.Read(ref _deleteBegan[id]) > ended)
            .Union(hits.Select(h => (int)h.Id));
        var truth = candidates
            .Select(id => (Id: id, Score: TensorPrimitives.Dot(MiniLmFixture.Queries.AsSpan(queryRow * Dim, Dim), MiniLmFixture.Base.AsSpan(id * Dim, Dim))))
            .OrderByDescending(c => c.Score).Take(K).Select(c => (ulong)c.Id).ToHashSet();
        return hits.Count(h => truth.Contains(h.Id)) / (double)K;
    }

    /// <summary>Ticks the clock, runs the write, ticks it again, stamping each id's begin and end.</summary>
    private void Write(IEnumerable<int> ids, Action<ulong[]> write, long[] began, long[] ended)
    {
        ulong[] batch = [.. ids.Select(id => (ulong)id)];
        long start = Interlocked.Increment(ref _clock);
        foreach (ulong id in batch) Volatile.Write(ref began[id], start);
        write(batch);
        long end = Interlocked.Increment(ref _clock);
        foreach (ulong id in batch) Volatile.Write(ref ended[id], end);
    }

    private static void AwaitASearch(int[] searches, Phase phase)
    {
        int before;
        lock (searches) before = searches[(int)phase];
        Assert.True(SpinWait.SpinUntil(() =>
        {
            lock (searches) return searches[(int)phase] > before;
        }, TimeSpan.FromMinutes(2)), $"no search ended during {phase}");
    }

    private static float[] RowsOf(ulong[] ids) => [.. ids.SelectMany(id => MiniLmFixture.Base.AsSpan((int)id * Dim, Dim).ToArray())];

    private static long[] Never() => Enumerable.Repeat(long.MaxValue, MiniLmFixture.BaseRows).ToArray();
}
