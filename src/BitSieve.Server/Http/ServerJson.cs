using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using BitSieve.Server.Qdrant.Models;
using BitSieve.Server.V1;

namespace BitSieve.Server.Http;

/// <summary>
/// The serializer metadata of every HTTP contract, generated at compile time: Qdrant's records (<c>Qdrant/Models</c>)
/// and the /v1 records (<c>V1/</c>), snake_case on the wire. Constructor parameters are required and nullability
/// annotations are respected, so the OpenAPI schemas say which fields are always present and which may be null;
/// numbers are numbers (no strings accepted), so the schemas say <c>integer</c>, not <c>integer or numeric string</c>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(PointIdJsonConverter)])]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(QdrantResponse<bool>))]
[JsonSerializable(typeof(QdrantResponse<UpdateResult>))]
[JsonSerializable(typeof(QdrantResponse<CollectionsResponse>))]
[JsonSerializable(typeof(QdrantResponse<Qdrant.Models.CollectionInfo>))]
[JsonSerializable(typeof(QdrantResponse<CollectionExistence>))]
[JsonSerializable(typeof(QdrantResponse<IReadOnlyList<Record>>))]
[JsonSerializable(typeof(QdrantResponse<Record>))]
[JsonSerializable(typeof(QdrantResponse<ScrollResult>))]
[JsonSerializable(typeof(QdrantResponse<CountResult>))]
[JsonSerializable(typeof(QdrantResponse<QueryResponse>))]
[JsonSerializable(typeof(QdrantResponse<IReadOnlyList<QueryResponse>>))]
[JsonSerializable(typeof(QdrantResponse<IReadOnlyList<Qdrant.Models.ScoredPoint>>))]
[JsonSerializable(typeof(QdrantResponse<IReadOnlyList<IReadOnlyList<Qdrant.Models.ScoredPoint>>>))]
[JsonSerializable(typeof(CollectionList))]
[JsonSerializable(typeof(CollectionDetail))]
[JsonSerializable(typeof(CollectionDeleted))]
[JsonSerializable(typeof(CollectionCreated))]
[JsonSerializable(typeof(V1.Requests.CreateCollectionRequest))]
[JsonSerializable(typeof(Web.DashboardInfo))]
[JsonSerializable(typeof(DocumentsAdded))]
[JsonSerializable(typeof(DocumentList))]
[JsonSerializable(typeof(DocumentDeleted))]
[JsonSerializable(typeof(TextSearchResponse))]
[JsonSerializable(typeof(AskResponse))]
[JsonSerializable(typeof(AskFound))]
[JsonSerializable(typeof(AnswerResult))]
[JsonSerializable(typeof(AnswerDelta))]
[JsonSerializable(typeof(Qdrant.Models.Requests.CreateCollection))]
[JsonSerializable(typeof(Qdrant.Models.Requests.CreateFieldIndex))]
[JsonSerializable(typeof(Qdrant.Models.Requests.PointInsertOperations))]
[JsonSerializable(typeof(Qdrant.Models.Requests.PointRequest))]
[JsonSerializable(typeof(Qdrant.Models.Requests.PointsSelector))]
[JsonSerializable(typeof(Qdrant.Models.Requests.SetPayload))]
[JsonSerializable(typeof(Qdrant.Models.Requests.DeletePayload))]
[JsonSerializable(typeof(Qdrant.Models.Requests.ScrollRequest))]
[JsonSerializable(typeof(Qdrant.Models.Requests.CountRequest))]
[JsonSerializable(typeof(Qdrant.Models.Requests.QueryRequestBatch))]
[JsonSerializable(typeof(Qdrant.Models.Requests.SearchRequestBatch))]
[JsonSerializable(typeof(V1.Requests.AddDocumentsRequest))]
[JsonSerializable(typeof(V1.Requests.TextSearchRequest))]
[JsonSerializable(typeof(V1.Requests.AskRequest))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Options for writing the contracts as Qdrant does: quotes and backticks in messages and payloads are not escaped as
    /// \uXXXX (the answers are JSON documents, never embedded in HTML).
    /// </summary>
    public static JsonSerializerOptions WireOptions => s_wireOptions ??= new(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Built on first use: the generated Default is initialized in another part of this class, in no guaranteed order.
    private static JsonSerializerOptions? s_wireOptions;

    /// <summary>Puts the generated metadata and the encoder into the options ASP.NET Core writes results and builds schemas with.</summary>
    public static void Configure(Microsoft.AspNetCore.Http.Json.JsonOptions options)
    {
        var json = options.SerializerOptions;
        json.TypeInfoResolverChain.Insert(0, Default);
        // The same settings as the generated context, for whatever these options resolve outside it.
        json.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.NumberHandling = JsonNumberHandling.Strict;
        json.RespectNullableAnnotations = true;
        json.RespectRequiredConstructorParameters = true;
        json.Converters.Add(new PointIdJsonConverter());
    }
}
