using System.Net;
using BitSieve.Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// One silo in process on Orleans' localhost clustering: the global bound's pruning over shards, the replication check on
/// create, and <c>/cluster</c>. (A sharded collection against a single node: <see cref="MultiProcessClusterTests"/>.)
/// </summary>
public sealed class LocalClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalSilo _local = null!;

    public async Task InitializeAsync() => _local = await LocalSilo.StartAsync();

    public async Task DisposeAsync() => await _local.DisposeAsync();

    [Fact]
    public async Task The_first_shards_bound_prunes_the_other_shards_cascades_and_leaves_the_exact_answer_unchanged()
    {
        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 6, replication: 1));
        await ClusterData.UpsertAsync(_local.Http, "docs", MiniLmFixture.BaseRows);
        var coordinator = _local.Silo.App.Services.GetRequiredService<IGrainFactory>().GetGrain<IClusterCoordinatorGrain>(0);
        foreach (var quality in new[] { Quality.Exact, Quality.Default })
        {
            // Candidates read by shards 1–5 (those sent the bound): T2 scored and T3 verified, summed over 50 queries.
            var (t2Without, t3Without, t2With, t3With) = (0L, 0L, 0L, 0L);
            for (int q = 0; q < 50; q++)
            {
                var query = new ShardQuery(ClusterData.Row(MiniLmFixture.Queries, q), null, 10, quality.RecallTarget, null, null, WithPayload: false, WithVector: false);
                var without = await coordinator.Search("docs", query, prune: false);
                var with = await coordinator.Search("docs", query, prune: true);
                Assert.All(without.Shards, shard => Assert.Null(shard.Bound));
                // Shard 0 (a sixth of 2,000 points) always finds 10 hits: its 10th score is the bound every other shard got.
                Assert.NotNull(with.Shards[1].Bound);
                float bound = with.Shards[1].Bound!.Value;
                Assert.All(with.Shards.Skip(1), shard => Assert.Equal(bound, shard.Bound));
                Assert.True(with.Hits[^1].Score >= bound, $"query {q}: the merged 10th score {with.Hits[^1].Score} is below the bound {bound}");
                if (quality.IsExact)
                    Assert.Equal(without.Hits.Select(h => (h.Id, h.Score)), with.Hits.Select(h => (h.Id, h.Score)));
                t2Without += without.Shards.Skip(1).Sum(s => s.T2Seen);
                t3Without += without.Shards.Skip(1).Sum(s => s.T3Seen);
                t2With += with.Shards.Skip(1).Sum(s => s.T2Seen);
                t3With += with.Shards.Skip(1).Sum(s => s.T3Seen);
            }
            output.WriteLine($"{quality}: shards 1-5 over 50 queries: T2 seen {t2Without} without the bound, {t2With} with it; T3 seen {t3Without} without, {t3With} with");
            if (quality.IsExact) Assert.True(t2With + t3With < t2Without + t3Without, $"with the bound shards 1-5 read {t2With + t3With} candidates, without it {t2Without + t3Without}");
        }
    }

    [Fact]
    public async Task A_replication_factor_above_the_live_silos_is_a_400_and_creates_nothing()
    {
        var answer = await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/twice", ClusterData.CreateBody(shards: 2, replication: 2), HttpStatusCode.BadRequest);
        Assert.Contains("replication_factor 2 exceeds the 1 active silo", ClusterData.Json(answer), StringComparison.Ordinal);
        await ClusterData.SendAsync(_local.Http, HttpMethod.Get, "/collections/twice", expected: HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_get_or_create_that_a_silo_refuses_surfaces_the_refusal_not_a_missing_collection()
    {
        // A silo whose database is closed (as while it stops) refuses to hold the new collection's replica.
        _local.Silo.App.Services.GetRequiredService<Database>().Dispose();
        var cluster = _local.Silo.App.Services.GetRequiredService<IDatabase>();
        var refusal = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => cluster.GetOrCreateCollectionAsync("refused", new CollectionOptions { Dimension = 4 }));
        Assert.Contains(nameof(Database), refusal.Message, StringComparison.Ordinal);
        Assert.False(await cluster.CollectionExistsAsync("refused"));
    }

    [Fact]
    public async Task Cluster_lists_this_silo_as_active()
    {
        var cluster = await ClusterData.SendAsync(_local.Http, HttpMethod.Get, "/cluster");
        string self = cluster["result"]!["peer_id"]!.GetValue<string>();
        Assert.Equal("Active", cluster["result"]!["peers"]![self]!["state"]!.GetValue<string>());
    }
}
