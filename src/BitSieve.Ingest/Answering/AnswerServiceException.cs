namespace BitSieve.Ingest.Answering;

/// <summary>A chat endpoint could not be reached or refused a request; the message (one line) names the URL, never the key.</summary>
public sealed class AnswerServiceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AnswerServiceException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AnswerServiceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public AnswerServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a request to <paramref name="url"/>.</summary>
    public AnswerServiceException(string message, Uri url, int? statusCode, Exception? innerException)
        : base(message, innerException)
    {
        Url = url;
        StatusCode = statusCode;
    }

    /// <summary>The endpoint's URL.</summary>
    public Uri? Url { get; }

    /// <summary>The HTTP status the endpoint answered with; null when it did not answer.</summary>
    public int? StatusCode { get; }
}
