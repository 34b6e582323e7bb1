using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Http;

/// <summary>Qdrant's error answer, which every route of this server uses: <c>{"status":{"error":"…"},"time":seconds}</c>.</summary>
/// <param name="Status">The error.</param>
/// <param name="Time">Seconds the request took.</param>
internal sealed record ErrorResponse(ErrorStatus Status, double Time)
{
    /// <summary>Writes an error answer with its status code.</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, string message)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var error = new ErrorResponse(new ErrorStatus(message), RequestTiming.Seconds(context));
        await JsonSerializer.SerializeAsync(context.Response.Body, error, ServerJsonContext.WireOptions.GetTypeInfo(typeof(ErrorResponse)), context.RequestAborted)
            .ConfigureAwait(false);
    }
}

/// <summary>The <c>status</c> of an error answer.</summary>
/// <param name="Error">What went wrong, in Qdrant's words where Qdrant has them.</param>
internal sealed record ErrorStatus([property: JsonPropertyName("error")] string Error);
