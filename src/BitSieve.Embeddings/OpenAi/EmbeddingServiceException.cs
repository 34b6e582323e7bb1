namespace BitSieve.Embeddings.OpenAi;

/// <summary>An embedding service could not be reached or refused a request; the message names the URL.</summary>
public sealed class EmbeddingServiceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddingServiceException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public EmbeddingServiceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public EmbeddingServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a request to <paramref name="url"/>.</summary>
    public EmbeddingServiceException(string message, Uri url, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Url = url;
        StatusCode = statusCode;
    }

    /// <summary>The URL requested.</summary>
    public Uri? Url { get; }

    /// <summary>The HTTP status returned, when the server answered.</summary>
    public int? StatusCode { get; }
}
