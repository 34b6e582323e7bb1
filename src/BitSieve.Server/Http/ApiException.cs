using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Http;

/// <summary>
/// A request that cannot be served, with the HTTP status and the message the client sees. The messages follow
/// Qdrant's wording (<c>Wrong input: …</c>, <c>Not found: …</c>, <c>Format error in JSON body: …</c>) so that clients
/// written against Qdrant show familiar errors.
/// </summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ApiException(int statusCode, string message) : base(message) => StatusCode = statusCode;

    /// <summary>Creates the exception.</summary>
    public ApiException() : this(StatusCodes.Status400BadRequest, "Bad request")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ApiException(string message) : this(StatusCodes.Status400BadRequest, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ApiException(string message, Exception innerException) : base(message, innerException) => StatusCode = StatusCodes.Status400BadRequest;

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    /// <summary>400 <c>Format error in JSON body: …</c>: malformed JSON, a wrong type, a missing field.</summary>
    public static ApiException Format(string message) => new(StatusCodes.Status400BadRequest, $"Format error in JSON body: {message}");

    /// <summary>422 <c>Validation error in JSON body: [field: …]</c>: a well-typed value out of its range (Qdrant's validator).</summary>
    public static ApiException Validation(string field, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, $"Validation error in JSON body: [{field}: {message}]");

    /// <summary>400 <c>Wrong input: …</c>: a request that is well-formed but does not fit the collection.</summary>
    public static ApiException WrongInput(string message) => new(StatusCodes.Status400BadRequest, $"Wrong input: {message}");

    /// <summary>400 <c>Bad request: …</c>.</summary>
    public static ApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, $"Bad request: {message}");

    /// <summary>400 <c>Bad request: … is not supported by BitSieve …</c>: a Qdrant feature this server lacks.</summary>
    public static ApiException NotSupported(string feature, string? hint = null) =>
        new(StatusCodes.Status400BadRequest, $"Bad request: {feature} is not supported by BitSieve{(hint is null ? "" : $" ({hint})")}.");

    /// <summary>404 <c>Not found: …</c>.</summary>
    public static ApiException NotFound(string message) => new(StatusCodes.Status404NotFound, $"Not found: {message}");

    /// <summary>404 for a collection that does not exist, in Qdrant's words.</summary>
    public static ApiException CollectionNotFound(string name) => NotFound($"Collection `{name}` doesn't exist!");

    /// <summary>400 for a server limit.</summary>
    public static ApiException Limit(string message) => BadRequest(message);
}
