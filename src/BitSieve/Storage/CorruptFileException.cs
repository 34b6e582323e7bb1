namespace BitSieve;

/// <summary>
/// A file of a saved collection is damaged, truncated, of another kind, or written by a newer BitSieve: the reader
/// rejects it rather than crash or return garbage. The message names the file and what is wrong with it.
/// </summary>
public sealed class CorruptFileException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public CorruptFileException()
        : base("A BitSieve file is corrupt.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    public CorruptFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that revealed the problem.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    /// <param name="innerException">The exception that revealed the problem.</param>
    public CorruptFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a file and the problem found in it.</summary>
    /// <param name="filePath">The file that is damaged.</param>
    /// <param name="problem">What is wrong with it, as a sentence.</param>
    /// <param name="innerException">The exception that revealed the problem, if any.</param>
    public CorruptFileException(string filePath, string problem, Exception? innerException)
        : base($"Cannot read '{filePath}': {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The damaged file, when known.</summary>
    public string? FilePath { get; }
}
