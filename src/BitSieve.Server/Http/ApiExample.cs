namespace BitSieve.Server.Http;

/// <summary>Endpoint metadata: an example request body and response, shown in the OpenAPI document and the reference page.</summary>
/// <param name="Request">The request body (JSON), or null for none.</param>
/// <param name="Response">The response body (JSON), or null.</param>
public sealed record ApiExample(string? Request, string? Response);
