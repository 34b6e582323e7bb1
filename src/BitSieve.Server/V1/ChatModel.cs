using BitSieve.Ingest.Answering;

namespace BitSieve.Server.V1;

/// <summary>The chat endpoint that answers <c>/v1/…/ask</c> (<c>bitsieve serve --llm</c>), or none: then <c>/ask</c> answers extractively.</summary>
/// <param name="Endpoint">The endpoint, or null.</param>
internal sealed record ChatModel(ChatEndpoint? Endpoint);
