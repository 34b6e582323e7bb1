using System.Text.Encodings.Web;
using System.Text.Json;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Qdrant;

/// <summary>
/// A Qdrant-shaped answer: <c>{"result":…,"status":"ok","time":seconds}</c>, or for an error
/// <c>{"status":{"error":"…"},"time":seconds}</c>. The result is written straight to the response with a
/// <see cref="Utf8JsonWriter"/>, so field names and nulls are exactly Qdrant's.
/// </summary>
internal sealed class QdrantResponse(Action<Utf8JsonWriter> writeResult) : IResult
{
    /// <summary>JSON as Qdrant writes it: quotes and backticks in messages and payloads are not escaped as \uXXXX (the
    /// answers are JSON documents, never embedded in HTML).</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("result");
            writeResult(writer);
            writer.WriteString("status", "ok");
            writer.WriteNumber("time", RequestTiming.Seconds(httpContext));
            writer.WriteEndObject();
        }
        await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A result written by <paramref name="write"/>.</summary>
    public static QdrantResponse Ok(Action<Utf8JsonWriter> write) => new(write);

    /// <summary>A boolean result (collection created or deleted).</summary>
    public static QdrantResponse Ok(bool result) => new(w => w.WriteBooleanValue(result));

    /// <summary>Qdrant's <c>UpdateResult</c>: the write is applied and durable when this is sent.</summary>
    public static QdrantResponse Update(long operationId) => new(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("operation_id", operationId);
        w.WriteString("status", "completed");
        w.WriteEndObject();
    });

    /// <summary>Writes an error in Qdrant's shape.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int statusCode, string message)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("status");
            writer.WriteString("error", message);
            writer.WriteEndObject();
            writer.WriteNumber("time", RequestTiming.Seconds(context));
            writer.WriteEndObject();
        }
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A plain JSON answer (the /v1 API's), written by a delegate with the same writer options.</summary>
    internal sealed class Plain(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = "application/json";
            using (var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, WriterOptions)) write(writer);
            await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Qdrant's <c>Record</c>: <c>{"id","payload","vector"}</c>, null where not asked for.</summary>
    public static void WriteRecord(Utf8JsonWriter w, PointRecord point, WithPayloadInterface withPayload)
    {
        w.WriteStartObject();
        w.WritePropertyName("id");
        point.Id.WriteTo(w);
        WritePayloadAndVector(w, withPayload.Apply(point.Payload), point.Vector);
        w.WriteEndObject();
    }

    /// <summary>Qdrant's <c>ScoredPoint</c>: <c>{"id","version","score","payload","vector"}</c>; BitSieve keeps no point versions (0).</summary>
    public static void WriteScoredPoint(Utf8JsonWriter w, ScoredPoint point, WithPayloadInterface withPayload)
    {
        w.WriteStartObject();
        w.WritePropertyName("id");
        point.Id.WriteTo(w);
        w.WriteNumber("version", 0);
        w.WriteNumber("score", point.Score);
        WritePayloadAndVector(w, withPayload.Apply(point.Payload), point.Vector);
        w.WriteEndObject();
    }

    private static void WritePayloadAndVector(Utf8JsonWriter w, System.Text.Json.Nodes.JsonObject? payload, float[]? vector)
    {
        w.WritePropertyName("payload");
        if (payload is null) w.WriteNullValue();
        else payload.WriteTo(w);
        w.WritePropertyName("vector");
        if (vector is null) w.WriteNullValue();
        else
        {
            w.WriteStartArray();
            foreach (float x in vector) w.WriteNumberValue(x);
            w.WriteEndArray();
        }
    }
}
