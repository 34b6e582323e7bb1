using Xunit.Abstractions;

namespace BitSieve.Tests.Search;

/// <summary>
/// <see cref="SearchOptions.ScoreBound"/>, the global bound a sharded search sends to later shards: the flat cascade
/// returns every point that reaches the bound exactly as without it, and reads fewer vectors to do so.
/// </summary>
public sealed class ScoreBoundTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(Metric.Cosine)]
    [InlineData(Metric.Euclidean)]
    public void An_exact_search_with_a_bound_keeps_every_hit_that_reaches_it_and_reads_less(Metric metric)
    {
        using var db = new TempDatabase();
        var collection = db.Database.CreateCollection("c", new CollectionOptions { Dimension = MiniLmFixture.Dimension, Metric = metric, Index = IndexType.Flat });
        var rows = MiniLmFixture.Base;
        collection.Upsert([.. Enumerable.Range(0, MiniLmFixture.BaseRows).Select(i => new Point((ulong)i, rows.AsMemory(i * MiniLmFixture.Dimension, MiniLmFixture.Dimension)))]);
        bool euclidean = metric == Metric.Euclidean;
        long readsWithout = 0, readsWith = 0;
        for (int q = 0; q < 50; q++)
        {
            var query = MiniLmFixture.Queries.AsSpan(q * MiniLmFixture.Dimension, MiniLmFixture.Dimension);
            var full = collection.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact }, withPayload: false);
            // The bound another shard would send: its 5th score; every point of this shard at or past it belongs in the merged top 10.
            float bound = full.Hits[4].Score;
            var bounded = collection.Search(query, new SearchOptions { K = 10, Quality = Quality.Exact, ScoreBound = bound }, withPayload: false);
            bool Reaches(ScoredPoint hit) => euclidean ? hit.Score <= bound : hit.Score >= bound;
            Assert.Equal(full.Hits.Where(Reaches).Select(h => (h.Id, h.Score)), bounded.Hits.Where(Reaches).Select(h => (h.Id, h.Score)));
            readsWithout += full.Trace.T1Kept + full.Trace.T2Seen + full.Trace.T3Seen;
            readsWith += bounded.Trace.T1Kept + bounded.Trace.T2Seen + bounded.Trace.T3Seen;
        }
        output.WriteLine($"{metric}: T1 kept + T2 seen + T3 seen over 50 exact queries: {readsWithout} without the bound, {readsWith} with it");
        Assert.True(readsWith < readsWithout, $"with the bound the cascade kept and read {readsWith} candidates, without it {readsWithout}");
    }

    [Fact]
    public void A_bound_that_is_not_a_finite_score_is_refused()
    {
        using var db = new TempDatabase();
        var collection = db.Database.CreateCollection("c", new CollectionOptions { Dimension = 4 });
        collection.Upsert([new Point(1, new float[] { 1, 0, 0, 0 })]);
        Assert.Throws<ArgumentOutOfRangeException>(() => collection.Search(new float[] { 1, 0, 0, 0 }, new SearchOptions { ScoreBound = float.NaN }));
    }
}
