namespace BitSieve.Cli;

/// <summary>A mistake in the command line or its input files: reported as one line on stderr, exit code 2.</summary>
internal sealed class UsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UsageException()
    {
    }

    /// <summary>Creates the exception with the line to print.</summary>
    public UsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the line to print and its cause.</summary>
    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Process exit codes of the <c>bitsieve</c> command.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (a bug or an environment problem); details on stderr.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line or bad input files.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (SIGINT) or SIGTERM, as shells report a command killed by SIGINT; what it reported committed stays.</summary>
    public const int Cancelled = 130;
}
