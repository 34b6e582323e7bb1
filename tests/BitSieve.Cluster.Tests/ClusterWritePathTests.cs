using System.Text.Json.Nodes;
using BitSieve.Cluster.Grains;
using BitSieve.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// Every write kind takes one path through a shard (<see cref="IShardReplicaGrain.Write"/>): deletes and payload changes
/// are kept in the catch-up log beside the upserts, so a replica that missed them and catches up by log replay serves
/// neither a deleted point nor an old payload; and a delete that reaches a primary after it moved is passed on to the
/// replica that took its place. Two silos in this process (Orleans' localhost clustering); the background catch-up is
/// slowed to once an hour, so the tests run each catch-up themselves.
/// </summary>
public sealed class ClusterWritePathTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<ClusterSilo> _silos = [];
    private HttpClient _http = null!;

    private IGrainFactory Grains => _silos[0].App.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        int primary = ClusterData.FreePort();
        for (int i = 0; i < 2; i++)
        {
            var silo = ClusterSilo.Create(new ClusterOptions
            {
                Server = new ServerOptions { DatabasePath = Path.Combine(_dir.Path, $"silo{i}"), Port = ClusterData.FreePort() },
                SiloPort = i == 0 ? primary : ClusterData.FreePort(),
                GatewayPort = ClusterData.FreePort(),
                PrimarySiloPort = i == 0 ? null : primary,
                CatchUpInterval = TimeSpan.FromHours(1),
            }, logging => logging.SetMinimumLevel(LogLevel.Error));
            _silos.Add(silo);
            await silo.StartAsync();
        }
        _http = new HttpClient { BaseAddress = new Uri(_silos[0].Addresses[0]) };
        await ClusterData.WaitUntilAsync(async () => (await ClusterData.SendAsync(_http, HttpMethod.Get, "/cluster"))["result"]!["peers"]!.AsObject()
            .Count(p => p.Value!["state"]!.GetValue<string>() == "Active") == 2, TimeSpan.FromSeconds(60), "two active silos");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        for (int i = _silos.Count - 1; i >= 0; i--) await _silos[i].DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_replica_that_missed_a_delete_and_a_payload_change_catches_up_without_the_point_and_with_the_new_payload()
    {
        const int rows = 40;
        await ClusterData.SendAsync(_http, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 1, replication: 2));
        await ClusterData.UpsertAsync(_http, "docs", rows);
        var layout = (await Grains.GetGrain<ICollectionLayoutGrain>("docs").Get())!;
        string primary = layout.ReplicaKey(0, layout.PrimaryOf(0)), secondary = layout.ReplicaKey(0, 1 - layout.PrimaryOf(0));

        // The secondary goes out of service as a replica that did not answer a write does; the next writes skip it.
        await Grains.GetGrain<ICollectionLayoutGrain>("docs").MarkStale([secondary]);
        await ClusterData.SendAsync(_http, HttpMethod.Post, "/collections/docs/points/delete", new JsonObject { ["points"] = new JsonArray(1, 2) });
        await ClusterData.SendAsync(_http, HttpMethod.Post, "/collections/docs/points/payload",
            new JsonObject { ["payload"] = new JsonObject { ["tag"] = "new" }, ["points"] = new JsonArray(3) });
        var missed = await Grains.GetGrain<IShardReplicaPoints>(secondary).Retrieve(["1", "2", "3"], withPayload: true, withVector: false);
        Assert.Equal(new[] { "1", "2", "3" }, missed.Select(r => r.Id));
        // Sent on its own, the primary's last write (a payload change) is refused across the gap, as an upsert is.
        long last = (await Grains.GetGrain<IShardReplicaGrain>(primary).Status()).Sequence;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Grains.GetGrain<IShardReplicaGrain>(secondary)
            .Replicate(last, new ShardChange(ShardChangeKind.SetPayload, ["3"], null, Payload: """{"tag":"new"}""")));

        var outcome = await Grains.GetGrain<IShardReplicaGrain>(primary).CatchUp(secondary);

        Assert.True(outcome.FromLog, "the log holds every write since the secondary's last one, deletes and payload changes too");
        var served = await Grains.GetGrain<IShardReplicaPoints>(secondary).Retrieve(["1", "2", "3"], withPayload: true, withVector: false);
        Assert.Equal("3", Assert.Single(served).Id);
        Assert.Equal("new", JsonNode.Parse(served[0].Payload!)!["tag"]!.GetValue<string>());
        var (primaryStatus, secondaryStatus) = (await Grains.GetGrain<IShardReplicaGrain>(primary).Status(), await Grains.GetGrain<IShardReplicaGrain>(secondary).Status());
        Assert.Equal(rows - 2, secondaryStatus.Points);
        Assert.Equal(primaryStatus.Sequence, secondaryStatus.Sequence);
        Assert.DoesNotContain(secondary, (await Grains.GetGrain<ICollectionLayoutGrain>("docs").Get())!.Stale);
    }

    [Fact]
    public async Task A_delete_that_reaches_a_primary_after_it_moved_is_applied_by_the_replica_that_took_its_place()
    {
        const int rows = 40;
        await ClusterData.SendAsync(_http, HttpMethod.Put, "/collections/moving", ClusterData.CreateBody(shards: 1, replication: 1));
        await ClusterData.UpsertAsync(_http, "moving", rows);
        var layout = (await Grains.GetGrain<ICollectionLayoutGrain>("moving").Get())!;
        string moved = layout.ReplicaKey(0, 0);
        string to = _silos.Select(s => s.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString()).Single(e => e != layout.Replicas[0][0]);
        var outcome = await Grains.GetGrain<IShardReplicaGrain>(moved).Move(0, to);

        // A coordinator that read the layout before the move sends the delete to the old primary.
        var write = await Grains.GetGrain<IShardReplicaGrain>(moved).Write(new ShardChange(ShardChangeKind.Delete, ["5"], null), []);

        string successor = (await Grains.GetGrain<ICollectionLayoutGrain>("moving").Get())!.ReplicaKey(0, 0);
        Assert.NotEqual(moved, successor);
        Assert.Empty(write.Missed);
        Assert.Equal(outcome.Sequence + 1, write.Sequence);
        var left = await Grains.GetGrain<IShardReplicaPoints>(successor).Retrieve(["4", "5"], withPayload: false, withVector: false);
        Assert.Equal("4", Assert.Single(left).Id);
        Assert.Equal(rows - 1, await ClusterData.CountAsync(_http, "moving"));
    }
}
