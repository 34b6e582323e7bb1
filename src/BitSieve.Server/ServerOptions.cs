namespace BitSieve.Server;

/// <summary>How <c>bitsieve serve</c> runs: where the database is, where to listen, and the request limits.</summary>
public sealed record ServerOptions
{
    /// <summary>The database directory (default <c>./.bitsieve</c>, as every other command).</summary>
    public string DatabasePath { get; init; } = Database.DefaultDirectory;

    /// <summary>The address to bind: loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port (Qdrant's default, 6333); 0 picks a free one (see <see cref="BitSieveServer.Addresses"/>).</summary>
    public int Port { get; init; } = 6333;

    /// <summary>
    /// The TCP port of Qdrant's gRPC API (HTTP/2 without TLS, on <see cref="Host"/>; <c>bitsieve serve</c> uses Qdrant's
    /// 6334); 0 picks a free one (see <see cref="BitSieveServer.GrpcAddress"/>). Null (the default here) serves no gRPC.
    /// </summary>
    public int? GrpcPort { get; init; }

    /// <summary>When set, every request except <c>/</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/livez</c> and the API reference
    /// must carry it in the <c>api-key</c> header or as <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The largest request body, in bytes (default 32 MiB); a larger one is answered 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 32L << 20;

    /// <summary>
    /// The largest document one <c>/v1</c> request may add, in bytes once decoded (default 64 MiB, as
    /// <c>bitsieve index</c> reads files); a larger one is answered 413 and nothing of the request is stored.
    /// </summary>
    public long MaxDocumentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// A bench result (the JSON object of <c>bitsieve bench --json</c>) that the dashboard shows as a plot of recall
    /// against QPS (<c>bitsieve serve --bench-json FILE</c>); read on each request, so a new run shows on reload.
    /// </summary>
    public string? BenchJsonPath { get; init; }

    /// <summary>The most results one search may ask for (<c>limit</c> + <c>offset</c>), and the largest scroll page.</summary>
    public int MaxLimit { get; init; } = 10_000;

    /// <summary>The most points (or ids) one write or retrieval may carry.</summary>
    public int MaxPointsPerRequest { get; init; } = 10_000;

    /// <summary>The most searches one batch request may carry.</summary>
    public int MaxBatchSearches { get; init; } = 256;

    /// <summary>
    /// The most bytes one response may hold, estimated before it is built: the points it may return × (the vector's
    /// float32 bytes when vectors are asked for + the average payload when payloads are), summed over every search of a
    /// batch (default 64 MiB: a full page of 10,000 points with 1,536-dimensional vectors fits; 256 such searches,
    /// about 15 GiB, do not). A larger one is refused with 400 before anything is read.
    /// </summary>
    public long MaxResponseBytes { get; init; } = 64L << 20;

    /// <summary>
    /// The host names (the <c>Host</c> header, which Kestrel also fills from HTTP/2's and HTTP/3's <c>:authority</c>)
    /// the server answers to, any port. Default: loopback only (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>), so
    /// that a web page cannot reach a local server through a DNS name it controls (DNS rebinding). <c>*</c> allows any.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = LoopbackHosts;

    /// <summary>The default of <see cref="AllowedHosts"/>.</summary>
    public static IReadOnlyList<string> LoopbackHosts { get; } = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>
    /// The one web origin (<c>https://app.example:8080</c>) whose pages may call the server from a browser (CORS).
    /// Default none: no <c>Access-Control-Allow-*</c> header is sent and no preflight is granted.
    /// </summary>
    public string? CorsOrigin { get; init; }

    /// <summary>Whether <paramref name="value"/> is a web origin: an http(s) scheme, a host, an optional port, nothing else.</summary>
    public static bool IsOrigin(string value) => Http.RequestGuard.IsOrigin(value);

    /// <summary>The embedding model of the <c>/v1</c> text API (a name or path for <c>EmbeddingModels.Create</c>; default MiniLM).</summary>
    public string? EmbeddingModel { get; init; }

    /// <summary>
    /// The precision new collections are embedded at, in the form the collection stores it
    /// (<c>FolderIndexer.PrecisionProperty</c>): <c>fp32</c> (default), <c>int8</c>, or <c>auto</c> followed by the
    /// plan's int8 layers, one a line, then its smoothing (<c>StoredPrecision</c>). An existing collection is always
    /// embedded at its own stored precision.
    /// </summary>
    public string? EmbeddingPrecision { get; init; }

    /// <summary>The embedding cache's folder (default: the one every command shares, see <c>EmbeddingCache.DefaultDirectory</c>).</summary>
    public string? EmbeddingCacheDirectory { get; init; }

    /// <summary>
    /// The OpenAI-compatible chat endpoint that answers <c>POST /v1/collections/{name}/ask</c> (its base URL, such as
    /// <c>http://localhost:11434/v1</c>; see <c>BitSieve.Ingest.Answering.ChatEndpoint</c>). Without one, <c>/ask</c>
    /// answers with the extractive answer.
    /// </summary>
    public Uri? LlmEndpoint { get; init; }

    /// <summary>The chat model of <see cref="LlmEndpoint"/> (default: the first the endpoint lists).</summary>
    public string? LlmModel { get; init; }

    /// <summary>The API key sent to <see cref="LlmEndpoint"/> as a bearer token (none by default).</summary>
    public string? LlmApiKey { get; init; }

    /// <summary>The token budget of <c>/ask</c>'s prompt (default 3,000): passages are cut to fit, the question never.</summary>
    public int LlmPromptTokens { get; init; } = 3000;

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DatabasePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "The port must be between 0 and 65535.");
        if (GrpcPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(GrpcPort), GrpcPort, "The gRPC port must be between 0 and 65535.");
        if (GrpcPort is > 0 && GrpcPort == Port) throw new ArgumentException($"The gRPC port and the REST port are both {Port}; give them different ports.", nameof(GrpcPort));
        if (ApiKey is { Length: 0 }) throw new ArgumentException("The API key may not be empty.", nameof(ApiKey));
        if (MaxRequestBodyBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "The body limit must be at least 1 KiB.");
        if (MaxDocumentBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxDocumentBytes), MaxDocumentBytes, "The document limit must be positive.");
        if (MaxLimit is < 1 or > Collection.MaxPage) throw new ArgumentOutOfRangeException(nameof(MaxLimit), MaxLimit, $"MaxLimit must be between 1 and {Collection.MaxPage}.");
        if (MaxPointsPerRequest is < 1 or > Collection.MaxBatch) throw new ArgumentOutOfRangeException(nameof(MaxPointsPerRequest), MaxPointsPerRequest, $"MaxPointsPerRequest must be between 1 and {Collection.MaxBatch}.");
        if (MaxResponseBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxResponseBytes), MaxResponseBytes, "The response budget must be at least 1 KiB.");
        if (AllowedHosts is null || AllowedHosts.Count == 0 || AllowedHosts.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("AllowedHosts must list at least one host name (or *), none of them empty.", nameof(AllowedHosts));
        if (CorsOrigin is not null && !IsOrigin(CorsOrigin))
            throw new ArgumentException($"The CORS origin must be a web origin such as https://app.example:8080 (scheme, host, optional port, no path), not '{CorsOrigin}'.", nameof(CorsOrigin));
        if (MaxBatchSearches < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSearches), MaxBatchSearches, "MaxBatchSearches must be at least 1.");
        if (LlmEndpoint is not null && (!LlmEndpoint.IsAbsoluteUri || LlmEndpoint.Scheme is not ("http" or "https")))
            throw new ArgumentException($"The chat endpoint must be an absolute http(s) URL such as http://localhost:11434/v1, not '{LlmEndpoint}'.", nameof(LlmEndpoint));
        if (LlmPromptTokens < 1) throw new ArgumentOutOfRangeException(nameof(LlmPromptTokens), LlmPromptTokens, "The prompt budget must be positive.");
    }
}
