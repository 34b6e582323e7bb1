using System.Text.Json.Nodes;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace BitSieve.Server.Http;

/// <summary>
/// Fills the OpenAPI document: its description, the schemas of point ids, the error answers every API route can give,
/// the request body schemas named by <see cref="RequestBody"/> metadata, and each operation's example request and
/// response bodies beside the schemas generated from the contract records.
/// </summary>
internal static class OpenApiDocs
{
    /// <summary>The error statuses every API route can answer with (<see cref="ErrorHandling"/>), in Qdrant's error shape.</summary>
    private static readonly int[] ErrorStatuses =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound,
        StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status500InternalServerError,
    ];

    /// <summary>Declares the error answers on every endpoint of <paramref name="group"/>.</summary>
    public static RouteGroupBuilder WithErrorResponses(RouteGroupBuilder group)
    {
        foreach (int status in ErrorStatuses)
            group.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ErrorResponse), ["application/json"]));
        return group;
    }

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "BitSieve",
                Version = "v1",
                Description =
                    "BitSieve's HTTP API: its own text API under /v1, and a Qdrant-compatible REST subset (same paths, bodies, status codes " +
                    "and error shapes as Qdrant " + Qdrant.QdrantApi.CompatibleVersion + "). Successful Qdrant responses are " +
                    "{\"result\":…,\"status\":\"ok\",\"time\":seconds}; errors are {\"status\":{\"error\":\"…\"},\"time\":seconds}. " +
                    "When the server has an API key, send it as the api-key header or Authorization: Bearer KEY.",
            };
            return Task.CompletedTask;
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (type == typeof(PointId) || type == typeof(PointId?))
            {
                // Qdrant's ExtendedPointId: the converter writes a number or a string, which the schema generator cannot see.
                schema.Type = null;
                schema.Format = null;
                schema.OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "uint64" },
                    new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
                ];
                if (type == typeof(PointId?)) schema.OneOf.Add(new OpenApiSchema { Type = JsonSchemaType.Null });
            }
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(QdrantResponse<>) && schema.Properties is { } properties)
            {
                // The generator cannot see that T is notnull (type parameters are nullability-oblivious): result is never null.
                properties["result"] = NotNull(properties["result"]);
            }
            else if (type == typeof(V1.Passage))
            {
                // Serialized by the runtime type, with no type discriminator on the wire.
                schema.Discriminator = null;
            }
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<RequestBody>().FirstOrDefault() is { } body)
            {
                // Handlers read the raw body (for Qdrant's error messages), so the generator sees no body parameter.
                var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken).ConfigureAwait(false);
                OptionalMeansNullable(schema, depth: 0);
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = body.Required,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
                };
            }
            var example = metadata.OfType<ApiExample>().FirstOrDefault();
            if (example is null) return;
            if (example.Request is { } request)
            {
                if (operation.RequestBody?.Content is null)
                    operation.RequestBody = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType>() };
                JsonMedia(operation.RequestBody.Content!).Example = JsonNode.Parse(request);
            }
            if (example.Response is { } response)
            {
                operation.Responses ??= [];
                if (!operation.Responses.TryGetValue("200", out var ok) || ok.Content is null)
                    operation.Responses["200"] = ok = new OpenApiResponse { Description = "OK", Content = new Dictionary<string, OpenApiMediaType>() };
                JsonMedia(ok.Content!).Example = JsonNode.Parse(response);
            }
        });
    }

    /// <summary>The schema without its null alternative (<c>type: [null, X]</c> or <c>oneOf: [null, X]</c>).</summary>
    private static IOpenApiSchema NotNull(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchema { OneOf: { Count: 2 } oneOf } && oneOf.Count(s => s.Type == JsonSchemaType.Null) == 1)
            return oneOf.Single(s => s.Type != JsonSchemaType.Null);
        if (schema is OpenApiSchema { Type: { } type } concrete) concrete.Type = type & ~JsonSchemaType.Null;
        return schema;
    }

    /// <summary>
    /// In a request, an optional field may also be sent as null, which reads as absent (Qdrant's rule, and
    /// <see cref="JsonFields"/>'): the schema of every field not in <c>required</c> admits null.
    /// </summary>
    private static void OptionalMeansNullable(IOpenApiSchema schema, int depth)
    {
        if (depth > 32 || schema is not OpenApiSchema concrete) return;
        if (concrete.Items is { } items) OptionalMeansNullable(items, depth + 1);
        if (concrete.Properties is not { } properties) return;
        foreach (var name in properties.Keys.ToList())
        {
            var property = properties[name];
            OptionalMeansNullable(property, depth + 1);
            if (concrete.Required?.Contains(name) == true) continue;
            if (property is OpenApiSchema { Type: { } type } typed) typed.Type = type | JsonSchemaType.Null;
            else if (property is OpenApiSchema { OneOf: { } oneOf } && !oneOf.Any(s => s.Type == JsonSchemaType.Null)) oneOf.Add(new OpenApiSchema { Type = JsonSchemaType.Null });
            else if (property is OpenApiSchemaReference) properties[name] = new OpenApiSchema { OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, property] };
        }
    }

    private static OpenApiMediaType JsonMedia(IDictionary<string, OpenApiMediaType> content)
    {
        if (!content.TryGetValue("application/json", out var media)) content["application/json"] = media = new OpenApiMediaType();
        return media;
    }
}
