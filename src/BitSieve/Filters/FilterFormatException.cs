namespace BitSieve;

/// <summary>A filter's JSON is malformed or not a valid filter. <see cref="JsonPath"/> names the offending part.</summary>
public class FilterFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public FilterFormatException(string jsonPath, string message, Exception? inner = null)
        : base($"{jsonPath}: {message}", inner)
    {
        JsonPath = jsonPath;
    }

    /// <summary>Where in the filter JSON the problem is, e.g. <c>$.must[2].match.value</c>.</summary>
    public string JsonPath { get; }
}

/// <summary>
/// A filter uses a Qdrant feature that this engine does not implement (geo conditions, <c>has_vector</c>,
/// full-text variants such as <c>text_any</c>, …). A subtype of <see cref="FilterFormatException"/> so that one catch
/// handles every rejected filter.
/// </summary>
public sealed class FilterNotSupportedException : FilterFormatException
{
    /// <summary>Creates the exception.</summary>
    public FilterNotSupportedException(string jsonPath, string message) : base(jsonPath, message)
    {
    }
}
