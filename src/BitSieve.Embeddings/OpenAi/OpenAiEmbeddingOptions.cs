namespace BitSieve.Embeddings.OpenAi;

/// <summary>How the API key travels.</summary>
public enum ApiKeyStyle
{
    /// <summary><c>api-key</c> header for Azure OpenAI hosts (<c>*.openai.azure.com</c>, <c>*.cognitiveservices.azure.com</c>), <c>Authorization: Bearer</c> otherwise.</summary>
    Auto,

    /// <summary><c>Authorization: Bearer KEY</c> (OpenAI, vLLM, LM Studio, Ollama behind a proxy).</summary>
    Bearer,

    /// <summary><c>api-key: KEY</c> (Azure OpenAI).</summary>
    ApiKeyHeader,
}

/// <summary>Settings of an <see cref="OpenAiEmbeddingGenerator"/>.</summary>
public sealed record OpenAiEmbeddingOptions
{
    /// <summary>Environment variables read, in this order, when <see cref="ApiKey"/> is not set.</summary>
    public static IReadOnlyList<string> ApiKeyVariables { get; } = ["BITSIEVE_EMBEDDINGS_KEY", "OPENAI_API_KEY"];

    /// <summary>
    /// The API base; requests go to <c>{Endpoint}/embeddings</c>, keeping its query string. Examples:
    /// <c>https://api.openai.com/v1</c>, <c>http://localhost:11434/v1</c> (Ollama), <c>http://localhost:1234/v1</c>
    /// (LM Studio), <c>http://localhost:8000/v1</c> (vLLM),
    /// <c>https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT?api-version=2024-10-21</c> (Azure OpenAI).
    /// An endpoint already ending in <c>/embeddings</c> is used as it is.
    /// </summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The <c>model</c> field of the request (Azure ignores it: the deployment in the URL decides).</summary>
    public required string Model { get; init; }

    /// <summary>The key; <see langword="null"/>: the first set of <see cref="ApiKeyVariables"/>, or none (local servers).</summary>
    public string? ApiKey { get; init; }

    /// <summary>How the key is sent.</summary>
    public ApiKeyStyle ApiKeyStyle { get; init; } = ApiKeyStyle.Auto;

    /// <summary>The <c>dimensions</c> field (models that can shorten their vectors); <see langword="null"/>: not sent.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Put in front of texts marked as queries (<see cref="EmbeddingInput.ForQuery"/>); "" for none.</summary>
    public string QueryPrefix { get; init; } = "";

    /// <summary>Put in front of texts not marked as queries; "" for none.</summary>
    public string DocumentPrefix { get; init; } = "";

    /// <summary>Scale every vector to unit length (default; OpenAI's are already, some local servers' are not).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Texts per request (OpenAI accepts up to 2,048).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Time allowed for one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>The key from the environment: the first non-empty of <see cref="ApiKeyVariables"/>, or null.</summary>
    public static string? ApiKeyFromEnvironment() =>
        ApiKeyVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
