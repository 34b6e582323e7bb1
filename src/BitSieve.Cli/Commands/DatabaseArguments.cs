using System.CommandLine;
using System.Text.Json;
using BitSieve.Storage;

namespace BitSieve.Cli.Commands;

/// <summary>The options every database command shares, and how their failures become exit codes.</summary>
internal static class DatabaseArguments
{
    /// <summary>The collection commands use when none is named.</summary>
    public const string DefaultCollection = "docs";

    public static Option<string> Db() => new("--db")
    {
        Description = $"Database directory (default ./{Database.DefaultDirectory} in the current folder).",
        DefaultValueFactory = _ => Database.DefaultDirectory,
        HelpName = "DIR",
    };

    public static Option<string> Collection() => new("--collection")
    {
        Description = $"Collection name (default {DefaultCollection}).",
        DefaultValueFactory = _ => DefaultCollection,
        HelpName = "NAME",
    };

    /// <summary>
    /// Runs a command body off the caller's thread, turning expected failures into one clear line on stderr, after
    /// <paramref name="command"/> (<c>bitsieve index</c>): bad input and usage errors exit 2; a locked or damaged
    /// database, or a chat endpoint that cannot be reached or refuses, exits 1; a cancelled <paramref name="cancellationToken"/> (Ctrl+C, SIGTERM), once the body stops at
    /// its next check of it, exits 130.
    /// </summary>
    public static Task<int> RunAsync(string command, TextWriter error, Func<CancellationToken, int> body, CancellationToken cancellationToken) =>
        RunAsync(command, error, token => Task.Run(() => body(token), token), cancellationToken);

    /// <inheritdoc cref="RunAsync(string, TextWriter, Func{CancellationToken, int}, CancellationToken)"/>
    public static async Task<int> RunAsync(string command, TextWriter error, Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine($"{command}: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is UsageException or ArgumentException or InvalidDataException or JsonException or FileNotFoundException
                                      or DirectoryNotFoundException or KeyNotFoundException or FormatException)
        {
            error.WriteLine($"{command}: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is DatabaseLockedException or CorruptFileException or IOException or UnauthorizedAccessException or InvalidOperationException
                                      or Ingest.Answering.AnswerServiceException)
        {
            error.WriteLine($"{command}: error: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
