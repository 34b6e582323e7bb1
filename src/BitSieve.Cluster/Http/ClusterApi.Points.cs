using System.Text.Json;
using BitSieve.Cluster.Grains;
using BitSieve.Server;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Cluster.Http;

/// <summary>
/// The point endpoints of a silo beyond upsert, search and count: the single node's request records
/// (<c>PointRequest</c>, <c>ScrollRequest</c>, <c>PointsSelector</c>, <c>SetPayload</c>, <c>DeletePayload</c>,
/// <c>CreateFieldIndex</c>) read and validate the bodies, with the same limits and errors, and the answers are the
/// single node's records; the coordinator (<see cref="IClusterPointsGrain"/>) runs them over the shards.
/// </summary>
internal static partial class ClusterApi
{
    private static void MapPoints(WebApplication app)
    {
        app.MapPost("/collections/{collection_name}/points", async (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
        {
            await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
            var retrieve = PointRequest.Parse(body.RootElement, options.MaxPointsPerRequest);
            var found = await Call(() => Points(grains).Retrieve(collection_name, Ids(retrieve.Ids), retrieve.WithPayload.Enabled, retrieve.WithVector)).ConfigureAwait(false);
            return Ok(request.HttpContext, (IReadOnlyList<Record>)found.Select(r => Record.From(r.ToRecord(), retrieve.WithPayload)).ToList());
        });

        app.MapGet("/collections/{collection_name}/points/{id}", async (string collection_name, string id, IGrainFactory grains, LayoutDirectory layouts, HttpContext context) =>
        {
            await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            if (!PointId.TryParse(id, out var pointId))
                throw ApiException.Format($"`{id}` is neither an unsigned integer nor a UUID point id");
            var found = await Call(() => Points(grains).Retrieve(collection_name, [pointId.ToString()], withPayload: true, withVector: true)).ConfigureAwait(false);
            return found.Count == 0
                ? throw ApiException.NotFound($"No point with id {JsonValues.Text(pointId)} found")
                : Ok(context, Record.From(found[0].ToRecord(), WithPayloadInterface.All));
        });

        app.MapPost("/collections/{collection_name}/points/scroll", async (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
        {
            await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            using var body = await JsonBody.ReadAsync(request).ConfigureAwait(false);
            var scroll = ScrollRequest.Parse(body.RootElement, options.MaxLimit);
            var page = await Call(() => Points(grains).Scroll(collection_name, scroll.Offset?.ToString(), scroll.Limit, FilterText(body.RootElement), scroll.WithPayload.Enabled, scroll.WithVector)).ConfigureAwait(false);
            var points = page.Points.Select(r => Record.From(r.ToRecord(), scroll.WithPayload)).ToList();
            return Ok(request.HttpContext, new ScrollResult(points, page.NextOffset is null ? null : PointId.Parse(page.NextOffset)));
        });

        app.MapPost("/collections/{collection_name}/points/delete", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Change(collection_name, request, grains, layouts, root =>
                Selected(ShardChangeKind.Delete, root, PointsSelector.Read(new JsonFields(root, ""), options.MaxPointsPerRequest))));

        app.MapPost("/collections/{collection_name}/points/payload", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Change(collection_name, request, grains, layouts, root =>
            {
                var set = SetPayload.Parse(root, options.MaxPointsPerRequest);
                return Selected(ShardChangeKind.SetPayload, root, set.Points) with { Payload = set.Payload.ToJsonString() };
            }));

        app.MapPut("/collections/{collection_name}/points/payload", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Change(collection_name, request, grains, layouts, root =>
            {
                var set = SetPayload.Parse(root, options.MaxPointsPerRequest);
                return Selected(ShardChangeKind.OverwritePayload, root, set.Points) with { Payload = set.Payload.ToJsonString() };
            }));

        app.MapPost("/collections/{collection_name}/points/payload/delete", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Change(collection_name, request, grains, layouts, root =>
            {
                var delete = DeletePayload.Parse(root, options.MaxPointsPerRequest);
                return Selected(ShardChangeKind.DeletePayloadKeys, root, delete.Points) with { Keys = delete.Keys };
            }));

        app.MapPost("/collections/{collection_name}/points/payload/clear", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Change(collection_name, request, grains, layouts, root =>
                Selected(ShardChangeKind.ClearPayload, root, PointsSelector.Read(new JsonFields(root, ""), options.MaxPointsPerRequest))));

        app.MapPut("/collections/{collection_name}/index", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts) =>
            Change(collection_name, request, grains, layouts, root =>
            {
                var index = CreateFieldIndex.Parse(root);
                return new ShardChange(ShardChangeKind.CreatePayloadIndex, null, null, Field: index.FieldName, Schema: index.Schema);
            }));

        app.MapDelete("/collections/{collection_name}/index/{field_name}", async (string collection_name, string field_name, IGrainFactory grains, LayoutDirectory layouts, HttpContext context) =>
        {
            await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            var change = new ShardChange(ShardChangeKind.DeletePayloadIndex, null, null, Field: field_name);
            return Ok(context, UpdateResult.Completed(await Call(() => Points(grains).Change(collection_name, change)).ConfigureAwait(false)));
        });
    }

    private static IClusterPointsGrain Points(IGrainFactory grains) => grains.GetGrain<IClusterPointsGrain>(0);

    /// <summary>A write other than an upsert: the collection is resolved (404) before the body is read.</summary>
    private static async Task<IResult> Change(string collection, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, Func<JsonElement, ShardChange> read)
    {
        await Layout(layouts, grains, collection).ConfigureAwait(false);
        using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
        var change = read(body.RootElement);
        return Ok(request.HttpContext, UpdateResult.Completed(await Call(() => Points(grains).Change(collection, change)).ConfigureAwait(false)));
    }

    /// <summary>A change of the points a selector (read by the single node's <c>PointsSelector</c>) names: its ids, or the body's filter as JSON text.</summary>
    private static ShardChange Selected(ShardChangeKind kind, JsonElement root, PointSelector selector) =>
        selector.Ids is { } ids ? new ShardChange(kind, Ids(ids), null) : new ShardChange(kind, null, FilterText(root));

    private static List<string> Ids(IEnumerable<PointId> ids) => [.. ids.Select(id => id.ToString())];
}
