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

        app.MapPut("/collections/{collection_name}/points", async (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
        {
            var collection = db.Get(collection_name);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var points = PointInsertOperations.Parse(body.RootElement, options.MaxPointsPerRequest).Points;
            for (int i = 0; i < points.Count; i++)
                if (points[i].Vector.Length != collection.Dimension)
                    throw ApiException.WrongInput($"Vector dimension error: expected dim: {collection.Dimension}, got {points[i].Vector.Length}");
            try
            {
                collection.Upsert(points);
            }
            catch (ArgumentException e)
            {
                throw ApiException.WrongInput(e.Message);
            }
            return Update(request.HttpContext, collection);
        }).WithTags(PointsTag).WithSummary("Upsert points").WithMetadata(new RequestBody(typeof(Models.Requests.PointInsertOperations))).WithDescription(
            "`{\"points\":[{\"id\",\"vector\",\"payload\"}]}` or `{\"batch\":{\"ids\",\"vectors\",\"payloads\"}}`. Ids are unsigned integers or UUIDs. " +
            "The write is durable when the answer comes, whatever `wait` says (the status is always `completed`).")
            .WithMetadata(new ApiExample("""{"points":[{"id":1,"vector":[0.05,0.61,0.76,0.74],"payload":{"topic":"storage"}}]}""", update));

        app.MapPost("/collections/{collection_name}/points", async (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
        {
            var collection = db.Get(collection_name);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var retrieve = PointRequest.Parse(body.RootElement, options.MaxPointsPerRequest);
            var budget = new ResponseBudget(collection, options, "this retrieval");
            budget.Add(retrieve.Ids.Count, retrieve.WithPayload.Enabled, retrieve.WithVector);
            budget.Check();
            var points = collection.Retrieve(retrieve.Ids, retrieve.WithPayload.Enabled, retrieve.WithVector);
            return Ok(request.HttpContext, (IReadOnlyList<Record>)points.Select(p => Record.From(p, retrieve.WithPayload)).ToList());
        }).WithTags(PointsTag).WithSummary("Retrieve points by id").WithMetadata(new RequestBody(typeof(Models.Requests.PointRequest))).WithDescription("Ids that do not exist are left out.")
            .WithMetadata(new ApiExample("""{"ids":[1,2],"with_payload":true,"with_vector":false}""", """{"result":[{"id":1,"payload":{"topic":"storage"},"vector":null}],"status":"ok","time":0.001}"""));

        app.MapGet("/collections/{collection_name}/points/{id}", (string collection_name, string id, DatabaseService db, HttpContext context) =>
        {
            var collection = db.Get(collection_name);
            if (!PointId.TryParse(id, out var pointId))
                throw ApiException.Format($"`{id}` is neither an unsigned integer nor a UUID point id");
            var found = collection.Retrieve([pointId], withPayload: true, withVector: true);
            if (found.Count == 0) throw ApiException.NotFound($"No point with id {id} found");
            return Ok(context, Record.From(found[0], WithPayloadInterface.All));
        }).WithTags(PointsTag).WithSummary("Get one point");

        app.MapPost("/collections/{collection_name}/points/delete", async (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
        {
            var collection = db.Get(collection_name);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var selector = PointsSelector.Read(new JsonFields(body.RootElement, ""), options.MaxPointsPerRequest);
            if (selector.Filter is { } filter) collection.Delete(filter);
            else collection.Delete(selector.Ids!);
            return Update(request.HttpContext, collection);
        }).WithTags(PointsTag).WithSummary("Delete points").WithMetadata(new RequestBody(typeof(Models.Requests.PointsSelector))).WithDescription("`{\"points\":[ids]}` or `{\"filter\":{…}}`; ids that do not exist are ignored.")
            .WithMetadata(new ApiExample("""{"filter":{"must":[{"key":"topic","match":{"value":"drafts"}}]}}""", update));

        app.MapPost("/collections/{collection_name}/points/payload", (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
            ChangePayload(collection_name, request, db, options, (c, body) =>
            {
                var set = SetPayload.Parse(body, options.MaxPointsPerRequest);
                CheckExist(c, set.Points);
                c.SetPayload(set.Points, set.Payload);
            })).WithTags(PointsTag).WithSummary("Set payload keys").WithMetadata(new RequestBody(typeof(Models.Requests.SetPayload))).WithDescription("Sets the given keys, keeping the others.")
            .WithMetadata(new ApiExample("""{"payload":{"reviewed":true},"points":[1,2]}""", update));

        app.MapPut("/collections/{collection_name}/points/payload", (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
            ChangePayload(collection_name, request, db, options, (c, body) =>
            {
                var set = SetPayload.Parse(body, options.MaxPointsPerRequest);
                CheckExist(c, set.Points);
                c.OverwritePayload(set.Points, set.Payload);
            })).WithTags(PointsTag).WithSummary("Overwrite payloads").WithMetadata(new RequestBody(typeof(Models.Requests.SetPayload))).WithDescription("Replaces the whole payload.")
            .WithMetadata(new ApiExample("""{"payload":{"topic":"storage"},"filter":{"must":[{"has_id":[1]}]}}""", update));

        app.MapPost("/collections/{collection_name}/points/payload/delete", (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
            ChangePayload(collection_name, request, db, options, (c, body) =>
            {
                var delete = DeletePayload.Parse(body, options.MaxPointsPerRequest);
                CheckExist(c, delete.Points);
                c.DeletePayloadKeys(delete.Points, delete.Keys);
            })).WithTags(PointsTag).WithSummary("Delete payload keys").WithMetadata(new RequestBody(typeof(Models.Requests.DeletePayload)))
            .WithMetadata(new ApiExample("""{"keys":["reviewed"],"points":[1,2]}""", update));

        app.MapPost("/collections/{collection_name}/points/payload/clear", (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
            ChangePayload(collection_name, request, db, options, (c, body) =>
            {
                var selector = PointsSelector.Read(new JsonFields(body, ""), options.MaxPointsPerRequest);
                CheckExist(c, selector);
                c.ClearPayload(selector);
            })).WithTags(PointsTag).WithSummary("Clear payloads").WithMetadata(new RequestBody(typeof(Models.Requests.PointsSelector)))
            .WithMetadata(new ApiExample("""{"points":[1,2]}""", update));

        app.MapPost("/collections/{collection_name}/points/scroll", async (string collection_name, HttpRequest request, DatabaseService db, ServerOptions options) =>
        {
            var collection = db.Get(collection_name);
            using var body = await Body(request).ConfigureAwait(false);
            var scroll = ScrollRequest.Parse(body.RootElement, options.MaxLimit);
            var budget = new ResponseBudget(collection, options, "this scroll page");
            budget.Add(scroll.Limit, scroll.WithPayload.Enabled, scroll.WithVector);
            budget.Check();
            var page = collection.Scroll(scroll.Offset, scroll.Limit, scroll.Filter, scroll.WithPayload.Enabled, scroll.WithVector);
            return Ok(request.HttpContext, new ScrollResult(page.Points.Select(p => Record.From(p, scroll.WithPayload)).ToList(), page.NextOffset));
        }).WithTags(PointsTag).WithSummary("Scroll points").WithMetadata(new RequestBody(typeof(Models.Requests.ScrollRequest), Required: false)).WithDescription("Pages through points in id order (integers, then UUIDs); `next_page_offset` is null on the last page.")
            .WithMetadata(new ApiExample("""{"limit":100,"offset":null,"filter":null,"with_payload":true}""", """{"result":{"points":[{"id":1,"payload":{"topic":"storage"},"vector":null}],"next_page_offset":2},"status":"ok","time":0.002}"""));

        app.MapPost("/collections/{collection_name}/points/count", async (string collection_name, HttpRequest request, DatabaseService db) =>
        {
            var collection = db.Get(collection_name);
            using var body = await Body(request).ConfigureAwait(false);
            long count = collection.CountPoints(CountRequest.Parse(body.RootElement).Filter);
            return Ok(request.HttpContext, new CountResult(count));
        }).WithTags(PointsTag).WithSummary("Count points").WithMetadata(new RequestBody(typeof(Models.Requests.CountRequest), Required: false)).WithDescription("Always exact.")
            .WithMetadata(new ApiExample("""{"filter":{"must":[{"key":"topic","match":{"value":"storage"}}]},"exact":true}""", """{"result":{"count":120},"status":"ok","time":0.001}"""));
    }

    private static async Task<Ok<QdrantResponse<UpdateResult>>> ChangePayload(string name, HttpRequest request, DatabaseService db, ServerOptions options, Action<Collection, JsonElement> change)
    {
        _ = options;
        var collection = db.Get(name);
        using var body = await Body(request, required: true).ConfigureAwait(false);
        try
        {
            change(collection, body.RootElement);
        }
        catch (ArgumentException e)
        {
            throw ApiException.WrongInput(e.Message);
        }
        return Update(request.HttpContext, collection);
    }

    /// <summary>As Qdrant, a payload change addressed to ids that do not exist is a 404 naming the first.</summary>
    private static void CheckExist(Collection collection, PointSelector selector)
    {
        if (selector.Ids is not { Count: > 0 } ids) return;
        var found = collection.Retrieve(ids, withPayload: false, withVector: false).Select(p => p.Id).ToHashSet();
        foreach (var id in ids)
            if (!found.Contains(id)) throw ApiException.NotFound($"No point with id {JsonValues.Text(id)} found");
    }
}
