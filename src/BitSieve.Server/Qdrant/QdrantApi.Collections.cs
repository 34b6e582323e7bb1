using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BitSieve.Server.Qdrant;

public static partial class QdrantApi
{
    private static void MapCollections(IEndpointRouteBuilder app)
    {
        app.MapGet("/collections", async (QdrantOperations ops, HttpContext context) =>
            Ok(context, new CollectionsResponse((await ops.ListCollectionsAsync().ConfigureAwait(false)).Select(name => new CollectionDescription(name)).ToList())))
            .WithTags(CollectionsTag).WithSummary("List collections")
            .WithMetadata(new ApiExample(null, """{"result":{"collections":[{"name":"docs"}]},"status":"ok","time":0.0001}"""));

        app.MapGet("/collections/{collection_name}", async (string collection_name, QdrantOperations ops, HttpContext context) =>
            Ok(context, await ops.GetCollectionAsync(collection_name).ConfigureAwait(false))).WithTags(CollectionsTag).WithSummary("Collection info").WithDescription(
            "Qdrant's `CollectionInfo`. `quantization_config` reports the precision ladder (8 bits: `scalar`, 4 bits: `binary`); " +
            "`hnsw_config` echoes the graph index's options (`m` = half the degree, 0 for a flat collection; `ef_construct`; `full_scan_threshold`: " +
            "the auto threshold in KB of float32 vectors); `optimizer_config` and `wal_config` carry Qdrant's defaults for client compatibility. " +
            "`index` (BitSieve's own) says which index answers unfiltered searches now: `graph` or `flat`.")
            .WithMetadata(new ApiExample(null, """{"result":{"status":"green","optimizer_status":"ok","indexed_vectors_count":2000,"points_count":2000,"segments_count":1,"config":{"params":{"vectors":{"size":384,"distance":"Cosine"},"shard_number":1,"replication_factor":1,"write_consistency_factor":1,"on_disk_payload":true},"hnsw_config":{"m":16,"ef_construct":100,"full_scan_threshold":30000,"max_indexing_threads":0,"on_disk":false},"optimizer_config":{"deleted_threshold":0.2,"vacuum_min_vector_number":1000,"default_segment_number":0,"max_segment_size":null,"memmap_threshold":null,"indexing_threshold":20000,"flush_interval_sec":5,"max_optimization_threads":null},"wal_config":{"wal_capacity_mb":32,"wal_segments_ahead":0},"quantization_config":{"binary":{"always_ram":true}}},"payload_schema":{"topic":{"data_type":"keyword","points":2000}},"index":"flat"},"status":"ok","time":0.001}"""));

        app.MapPut("/collections/{collection_name}", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            using var body = await Body(request, required: true).ConfigureAwait(false);
            await ops.CreateCollectionAsync(collection_name, CreateCollection.Parse(body.RootElement)).ConfigureAwait(false);
            return Ok(request.HttpContext, true);
        }).WithTags(CollectionsTag).WithSummary("Create a collection").WithMetadata(new RequestBody(typeof(Models.Requests.CreateCollection))).WithDescription(
            "`vectors.size` (2–4096) and `vectors.distance` (Cosine, Dot, Euclid). `quantization_config`: `scalar` → 8 bits per dimension, `binary` → 4 bits, none → 4 bits. " +
            "Named, sparse and multi-vectors, Manhattan, product quantization and other datatypes are refused with 400.")
            .WithMetadata(new ApiExample("""{"vectors":{"size":384,"distance":"Cosine"},"quantization_config":{"binary":{"always_ram":true}}}""", """{"result":true,"status":"ok","time":0.01}"""));

        app.MapDelete("/collections/{collection_name}", async (string collection_name, QdrantOperations ops, HttpContext context) =>
            Ok(context, await ops.DeleteCollectionAsync(collection_name).ConfigureAwait(false)))
            .WithTags(CollectionsTag).WithSummary("Delete a collection").WithDescription("`result` is false when there was no such collection.")
            .WithMetadata(new ApiExample(null, """{"result":true,"status":"ok","time":0.002}"""));

        app.MapGet("/collections/{collection_name}/exists", async (string collection_name, QdrantOperations ops, HttpContext context) =>
            Ok(context, new CollectionExistence(await ops.CollectionExistsAsync(collection_name).ConfigureAwait(false)))).WithTags(CollectionsTag).WithSummary("Whether a collection exists")
            .WithMetadata(new ApiExample(null, """{"result":{"exists":true},"status":"ok","time":0.00002}"""));

        app.MapPut("/collections/{collection_name}/index", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            return Ok(request.HttpContext, await ops.CreateFieldIndexAsync(collection_name, CreateFieldIndex.Parse(body.RootElement)).ConfigureAwait(false));
        }).WithTags(CollectionsTag).WithSummary("Create a payload index").WithMetadata(new RequestBody(typeof(Models.Requests.CreateFieldIndex))).WithDescription(
            "`field_schema`: keyword, integer, float, bool or datetime (a name or `{\"type\":…}`); geo, text and uuid indexes are refused with 400.")
            .WithMetadata(new ApiExample("""{"field_name":"topic","field_schema":"keyword"}""", """{"result":{"operation_id":12,"status":"completed"},"status":"ok","time":0.01}"""));

        app.MapDelete("/collections/{collection_name}/index/{field_name}", async (string collection_name, string field_name, QdrantOperations ops, HttpContext context) =>
            Ok(context, await ops.DeleteFieldIndexAsync(collection_name, field_name).ConfigureAwait(false))).WithTags(CollectionsTag).WithSummary("Delete a payload index")
            .WithMetadata(new ApiExample(null, """{"result":{"operation_id":13,"status":"completed"},"status":"ok","time":0.004}"""));
    }
}
