using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace BitSieve.Server.Http;

/// <summary>Fills the OpenAPI document: its description, and each operation's example request and response bodies.</summary>
internal static class OpenApiDocs
{
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
        options.AddOperationTransformer((operation, context, _) =>
        {
            var example = context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiExample>().FirstOrDefault();
            if (example is null) return Task.CompletedTask;
            if (example.Request is { } request)
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Example = JsonNode.Parse(request) },
                    },
                };
            }
            if (example.Response is { } response)
            {
                operation.Responses ??= [];
                operation.Responses["200"] = new OpenApiResponse
                {
                    Description = "OK",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Example = JsonNode.Parse(response) },
                    },
                };
            }
            return Task.CompletedTask;
        });
    }
}
