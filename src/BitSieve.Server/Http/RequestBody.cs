namespace BitSieve.Server.Http;

/// <summary>Endpoint metadata: the contract record that describes the route's JSON request body in the OpenAPI document.</summary>
/// <param name="Type">The record.</param>
/// <param name="Required">Whether a body must be sent (else an empty body reads as <c>{}</c>).</param>
internal sealed record RequestBody(Type Type, bool Required = true);
