using System.Text.Json.Nodes;
using BitSieve.Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// Hybrid search over shards with corpus-wide BM25 statistics: the fixture's 2,000 documents (vectors and texts) in 4
/// shards answer the fixture's questions as one collection of the same points does: the same ids and fused scores.
/// </summary>
public sealed class HybridClusterTests : IAsyncLifetime
{
    private const int Rows = MiniLmFixture.BaseRows;
    private LocalSilo _local = null!;

    public async Task InitializeAsync() => _local = await LocalSilo.StartAsync();

    public async Task DisposeAsync() => await _local.DisposeAsync();

    [Fact]
    public async Task A_hybrid_search_over_four_shards_equals_a_single_node_with_and_without_a_filter()
    {
        string[] texts = MiniLmFixture.Texts("base.jsonl", Rows);
        string[] questions = MiniLmFixture.Texts("query.jsonl", 20);
        JsonObject PayloadOf(int row) => new() { ["row"] = row, ["group"] = row % 5, ["text"] = texts[row] };

        await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs", ClusterData.CreateBody(shards: 4, replication: 1));
        for (int start = 0; start < Rows; start += 250)
        {
            var points = new JsonArray();
            for (int i = start; i < start + 250; i++)
                points.Add(new JsonObject { ["id"] = i, ["vector"] = new JsonArray(ClusterData.Row(MiniLmFixture.Base, i).Select(x => (JsonNode)x).ToArray()), ["payload"] = PayloadOf(i) });
            await ClusterData.SendAsync(_local.Http, HttpMethod.Put, "/collections/docs/points", new JsonObject { ["points"] = points });
        }
        var grains = _local.Silo.App.Services.GetRequiredService<IGrainFactory>();
        var coordinator = grains.GetGrain<IClusterPointsGrain>(0);
        await coordinator.Change("docs", new ShardChange(ShardChangeKind.CreatePayloadIndex, null, null, Field: "text", Schema: "text"));

        using var reference = new TempDirectory();
        using var database = Database.Open(reference.Path);
        var single = database.CreateCollection("single", new CollectionOptions { Dimension = MiniLmFixture.Dimension });
        single.Upsert([.. Enumerable.Range(0, Rows).Select(i => new Point((ulong)i, ClusterData.Row(MiniLmFixture.Base, i), PayloadOf(i)))]);
        single.CreatePayloadIndex("text", "text");

        for (int q = 0; q < questions.Length; q++)
        {
            float[] vector = ClusterData.Row(MiniLmFixture.Queries, q);
            foreach (int? group in new int?[] { null, q % 5 })
            {
                string? filter = group is { } g ? $$$"""{"must":[{"key":"group","match":{"value":{{{g}}}}}]}""" : null;
                var expected = single.SearchHybrid(vector, questions[q], new SearchOptions { K = 10, Quality = Quality.Exact }, filter is null ? null : Filter.Parse(filter), withPayload: false);
                var query = new ShardQuery(vector, filter, 10, RecallTarget: 1, Oversampling: null, Effort: null, WithPayload: false, WithVector: false);
                var answer = await coordinator.SearchHybrid("docs", query, questions[q], candidates: 50, vectorWeight: 1);
                ClusterData.AssertSameAnswer([.. expected.Hits.Select(h => (h.Id.Number, h.Score))], [.. answer.Hits.Select(h => (ulong.Parse(h.Id, System.Globalization.CultureInfo.InvariantCulture), h.Score))],
                    $"question {q}, group {group}");
                Assert.Equal(4, answer.Shards.Count);
            }
        }
    }
}
