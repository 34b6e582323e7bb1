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
    /// Runs a command body, turning expected failures into one clear line on stderr: bad input and usage errors exit
    /// 2; a locked or damaged database exits 1.
    /// </summary>
    public static int Run(string command, TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is UsageException or ArgumentException or InvalidDataException or JsonException or FileNotFoundException
                                      or DirectoryNotFoundException or KeyNotFoundException or FormatException)
        {
            error.WriteLine($"bitsieve {command}: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is DatabaseLockedException or CorruptFileException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"bitsieve {command}: error: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
