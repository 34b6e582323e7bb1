using System.Text.Json;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace BitSieve.Server.Qdrant;

public static partial class QdrantApi
{
    private static void MapPoints(IEndpointRouteBuilder app)
    {
        const string update = """{"result":{"operation_id":42,"status":"completed"},"status":"ok","time":0.003}""";

        app.MapPut("/collections/{collection_name}/points", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var points = PointInsertOperations.Parse(body.RootElement, ops.Options.MaxPointsPerRequest).Points;
            return Ok(request.HttpContext, await ops.UpsertAsync(collection_name, points).ConfigureAwait(false));
        }).WithTags(PointsTag).WithSummary("Upsert points").WithMetadata(new RequestBody(typeof(Models.Requests.PointInsertOperations))).WithDescription(
            "`{\"points\":[{\"id\",\"vector\",\"payload\"}]}` or `{\"batch\":{\"ids\",\"vectors\",\"payloads\"}}`. Ids are unsigned integers or UUIDs. " +
            "The write is durable when the answer comes, whatever `wait` says (the status is always `completed`).")
            .WithMetadata(new ApiExample("""{"points":[{"id":1,"vector":[0.05,0.61,0.76,0.74],"payload":{"topic":"storage"}}]}""", update));

        app.MapPost("/collections/{collection_name}/points", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var retrieve = PointRequest.Parse(body.RootElement, ops.Options.MaxPointsPerRequest);
            var points = await ops.RetrieveAsync(collection_name, retrieve).ConfigureAwait(false);
            return Ok(request.HttpContext, (IReadOnlyList<Record>)points.Select(p => Record.From(p, retrieve.WithPayload)).ToList());
        }).WithTags(PointsTag).WithSummary("Retrieve points by id").WithMetadata(new RequestBody(typeof(Models.Requests.PointRequest))).WithDescription("Ids that do not exist are left out.")
            .WithMetadata(new ApiExample("""{"ids":[1,2],"with_payload":true,"with_vector":false}""", """{"result":[{"id":1,"payload":{"topic":"storage"},"vector":null}],"status":"ok","time":0.001}"""));

        app.MapGet("/collections/{collection_name}/points/{id}", async (string collection_name, string id, QdrantOperations ops, HttpContext context) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            if (!PointId.TryParse(id, out var pointId))
                throw ApiException.Format($"`{id}` is neither an unsigned integer nor a UUID point id");
            return Ok(context, Record.From(await ops.GetPointAsync(collection_name, pointId).ConfigureAwait(false), WithPayloadInterface.All));
        }).WithTags(PointsTag).WithSummary("Get one point");

        app.MapPost("/collections/{collection_name}/points/delete", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var selector = PointsSelector.Read(new JsonFields(body.RootElement, ""), ops.Options.MaxPointsPerRequest);
            return Ok(request.HttpContext, await ops.DeleteAsync(collection_name, selector).ConfigureAwait(false));
        }).WithTags(PointsTag).WithSummary("Delete points").WithMetadata(new RequestBody(typeof(Models.Requests.PointsSelector))).WithDescription("`{\"points\":[ids]}` or `{\"filter\":{…}}`; ids that do not exist are ignored.")
            .WithMetadata(new ApiExample("""{"filter":{"must":[{"key":"topic","match":{"value":"drafts"}}]}}""", update));

        app.MapPost("/collections/{collection_name}/points/payload", (string collection_name, HttpRequest request, QdrantOperations ops) =>
            ChangePayload(collection_name, request, ops, body => ops.SetPayloadAsync(collection_name, SetPayload.Parse(body, ops.Options.MaxPointsPerRequest)))).WithTags(PointsTag).WithSummary("Set payload keys").WithMetadata(new RequestBody(typeof(Models.Requests.SetPayload))).WithDescription("Sets the given keys, keeping the others.")
            .WithMetadata(new ApiExample("""{"payload":{"reviewed":true},"points":[1,2]}""", update));

        app.MapPut("/collections/{collection_name}/points/payload", (string collection_name, HttpRequest request, QdrantOperations ops) =>
            ChangePayload(collection_name, request, ops, body => ops.OverwritePayloadAsync(collection_name, SetPayload.Parse(body, ops.Options.MaxPointsPerRequest)))).WithTags(PointsTag).WithSummary("Overwrite payloads").WithMetadata(new RequestBody(typeof(Models.Requests.SetPayload))).WithDescription("Replaces the whole payload.")
            .WithMetadata(new ApiExample("""{"payload":{"topic":"storage"},"filter":{"must":[{"has_id":[1]}]}}""", update));

        app.MapPost("/collections/{collection_name}/points/payload/delete", (string collection_name, HttpRequest request, QdrantOperations ops) =>
            ChangePayload(collection_name, request, ops, body => ops.DeletePayloadAsync(collection_name, DeletePayload.Parse(body, ops.Options.MaxPointsPerRequest)))).WithTags(PointsTag).WithSummary("Delete payload keys").WithMetadata(new RequestBody(typeof(Models.Requests.DeletePayload)))
            .WithMetadata(new ApiExample("""{"keys":["reviewed"],"points":[1,2]}""", update));

        app.MapPost("/collections/{collection_name}/points/payload/clear", (string collection_name, HttpRequest request, QdrantOperations ops) =>
            ChangePayload(collection_name, request, ops, body => ops.ClearPayloadAsync(collection_name, PointsSelector.Read(new JsonFields(body, ""), ops.Options.MaxPointsPerRequest)))).WithTags(PointsTag).WithSummary("Clear payloads").WithMetadata(new RequestBody(typeof(Models.Requests.PointsSelector)))
            .WithMetadata(new ApiExample("""{"points":[1,2]}""", update));

        app.MapPost("/collections/{collection_name}/points/scroll", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request).ConfigureAwait(false);
            var scroll = ScrollRequest.Parse(body.RootElement, ops.Options.MaxLimit);
            var page = await ops.ScrollAsync(collection_name, scroll).ConfigureAwait(false);
            return Ok(request.HttpContext, new ScrollResult(page.Points.Select(p => Record.From(p, scroll.WithPayload)).ToList(), page.NextOffset));
        }).WithTags(PointsTag).WithSummary("Scroll points").WithMetadata(new RequestBody(typeof(Models.Requests.ScrollRequest), Required: false)).WithDescription("Pages through points in id order (integers, then UUIDs); `next_page_offset` is null on the last page.")
            .WithMetadata(new ApiExample("""{"limit":100,"offset":null,"filter":null,"with_payload":true}""", """{"result":{"points":[{"id":1,"payload":{"topic":"storage"},"vector":null}],"next_page_offset":2},"status":"ok","time":0.002}"""));

        app.MapPost("/collections/{collection_name}/points/count", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request).ConfigureAwait(false);
            long count = await ops.CountAsync(collection_name, CountRequest.Parse(body.RootElement)).ConfigureAwait(false);
            return Ok(request.HttpContext, new CountResult(count));
        }).WithTags(PointsTag).WithSummary("Count points").WithMetadata(new RequestBody(typeof(Models.Requests.CountRequest), Required: false)).WithDescription("Always exact.")
            .WithMetadata(new ApiExample("""{"filter":{"must":[{"key":"topic","match":{"value":"storage"}}]},"exact":true}""", """{"result":{"count":120},"status":"ok","time":0.001}"""));
    }

    /// <summary>A payload change: the collection is resolved (404) before the body is read.</summary>
    private static async Task<Ok<QdrantResponse<UpdateResult>>> ChangePayload(string name, HttpRequest request, QdrantOperations ops, Func<JsonElement, Task<UpdateResult>> change)
    {
        await ops.EnsureExistsAsync(name).ConfigureAwait(false);
        using var body = await Body(request, required: true).ConfigureAwait(false);
        return Ok(request.HttpContext, await change(body.RootElement).ConfigureAwait(false));
    }
}
