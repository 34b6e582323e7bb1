using System.Net;
using System.Text.Json.Nodes;
using BitSieve.Cluster.Grains;
using BitSieve.Server;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// Qdrant's gRPC API on a silo (one in process, with a gRPC port): the single node's service over the same operations as
/// its REST API, driven by the official .NET client against a single node's. Creating a sharded collection, upserting,
/// exact searches with and without a filter, counts, a wrong dimension's error; then a shard without a live replica is
/// the same failure on both transports, mapped in one place: REST's 503 and gRPC's <c>UNAVAILABLE</c>, naming the shard.
/// </summary>
public sealed class ClusterQdrantGrpcTests : IAsyncLifetime
{
    private const int Rows = 200;
    private readonly TempDirectory _dir = new();
    private LocalSilo _silo = null!;
    private BitSieveServer _single = null!;

    public async Task InitializeAsync()
    {
        // The background catch-up slowed to once an hour: the replica marked stale below stays stale for the test.
        _silo = await LocalSilo.StartAsync(o => o with { CatchUpInterval = TimeSpan.FromHours(1), Server = o.Server with { GrpcPort = ClusterData.FreePort() } });
        _single = BitSieveServer.Create(new ServerOptions { DatabasePath = _dir.Path, Port = ClusterData.FreePort(), GrpcPort = 0 },
            logging => logging.SetMinimumLevel(LogLevel.Error));
        await _single.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _single.DisposeAsync();
        await _silo.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_official_client_gets_from_a_silo_what_it_gets_from_a_single_node()
    {
        using var single = new QdrantClient(_single.GrpcAddress!);
        using var silo = new QdrantClient(_silo.Silo.GrpcAddress!);
        var points = Enumerable.Range(0, Rows).Select(i => new PointStruct
        {
            Id = (ulong)i,
            Vectors = ClusterData.Row(MiniLmFixture.Base, i),
            Payload = { ["row"] = i, ["group"] = i % 5 },
        }).ToList();
        foreach (var client in new[] { single, silo })
        {
            await client.CreateCollectionAsync("grpc", new VectorParams { Size = MiniLmFixture.Dimension, Distance = Distance.Cosine }, shardNumber: 3);
            await client.UpsertAsync("grpc", points);
        }
        Assert.Equal(3u, (await silo.GetCollectionInfoAsync("grpc")).Config.Params.ShardNumber);
        Assert.Equal(await single.CountAsync("grpc"), await silo.CountAsync("grpc"));
        Qdrant.Client.Grpc.Filter group2 = Conditions.Match("group", 2);
        Assert.Equal(await single.CountAsync("grpc", group2), await silo.CountAsync("grpc", group2));

        var exact = new SearchParams { Exact = true };
        for (int q = 0; q < 5; q++)
        {
            float[] query = ClusterData.Row(MiniLmFixture.Queries, q);
            foreach (Qdrant.Client.Grpc.Filter? filter in new[] { null, group2 })
            {
                var expected = await single.QueryAsync("grpc", query, filter: filter, searchParams: exact, limit: 10, payloadSelector: true);
                var actual = await silo.QueryAsync("grpc", query, filter: filter, searchParams: exact, limit: 10, payloadSelector: true);
                ClusterData.AssertSameAnswer(Pairs(expected), Pairs(actual), $"query {q}{(filter is null ? "" : ", group 2")}");
                Assert.All(actual, hit => Assert.Equal((long)hit.Id.Num, hit.Payload["row"].IntegerValue));
            }
        }

        var wrongDimension = await Assert.ThrowsAsync<RpcException>(() => single.QueryAsync("grpc", new float[] { 0.1f, 0.2f, 0.3f }));
        var siloWrongDimension = await Assert.ThrowsAsync<RpcException>(() => silo.QueryAsync("grpc", new float[] { 0.1f, 0.2f, 0.3f }));
        Assert.Equal((wrongDimension.StatusCode, wrongDimension.Status.Detail), (siloWrongDimension.StatusCode, siloWrongDimension.Status.Detail));
        Assert.Equal(StatusCode.InvalidArgument, siloWrongDimension.StatusCode);

        // Shard 1's only replica missed a write (as when its silo is down): no search can be complete, on either transport.
        var layouts = _silo.Silo.App.Services.GetRequiredService<IGrainFactory>().GetGrain<ICollectionLayoutGrain>("grpc");
        await layouts.MarkStale([(await layouts.Get())!.ReplicaKey(1, 0)]);
        var rest = await ClusterData.SendAsync(_silo.Http, HttpMethod.Post, "/collections/grpc/points/search",
            ClusterData.SearchBody(ClusterData.Row(MiniLmFixture.Queries, 0), 10, exact: true), HttpStatusCode.ServiceUnavailable);
        string message = rest["status"]!["error"]!.GetValue<string>();
        Assert.StartsWith("Service unavailable: Shard 1 of collection `grpc` has no live replica", message, StringComparison.Ordinal);
        var unavailable = await Assert.ThrowsAsync<RpcException>(() => silo.QueryAsync("grpc", ClusterData.Row(MiniLmFixture.Queries, 0), searchParams: exact));
        Assert.Equal((StatusCode.Unavailable, message), (unavailable.StatusCode, unavailable.Status.Detail));
    }

    private static List<(ulong Id, float Score)> Pairs(IReadOnlyList<Qdrant.Client.Grpc.ScoredPoint> hits) => [.. hits.Select(h => (h.Id.Num, h.Score))];
}
