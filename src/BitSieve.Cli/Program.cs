using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using BitSieve.Cli.Commands;

namespace BitSieve.Cli;

/// <summary>The <c>bitsieve</c> command: wires the subcommands to the root.</summary>
internal static class Program
{
    /// <summary>
    /// How long a command gets, after Ctrl+C (SIGINT) or SIGTERM cancelled its token, to stop at its next safe point
    /// (a batch boundary, the server's closing checkpoint) before the process exits anyway. The database is crash-safe,
    /// so even that exit loses nothing a command reported committed.
    /// </summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Process entry point: Ctrl+C and SIGTERM cancel the running command's token.</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error, StopTimeout, CancellationToken.None);

    /// <summary>
    /// Parses and runs a command line, writing to the given writers; returns the exit code. Cancelling
    /// <paramref name="cancellationToken"/> stops the command as Ctrl+C does (exit code <see cref="ExitCodes.Cancelled"/>).
    /// With <paramref name="stopTimeout"/> set, SIGINT and SIGTERM cancel it too.
    /// </summary>
    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, TimeSpan? stopTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var eval = EvalCommand.Create();
        // A plain command named as the tool rather than RootCommand, whose name is the running executable's
        // ("BitSieve.Cli" under `dotnet run`): help and usage say `bitsieve` however it is started.
        var root = new Command("bitsieve", "BitSieve vector search engine.")
        {
            new HelpOption(),
            new VersionOption(),
            AskCommand.Create(),
            IndexCommand.Create(),
            SearchCommand.Create(),
            eval,
            BenchCommand.Create(),
            ImportCommand.Create(),
            InfoCommand.Create(),
            CompactCommand.Create(),
            CheckCommand.Create(),
            EmbedCommand.Create(),
            ServeCommand.Create(),
        };

        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard) help.Action = new HelpWithNotes(standard, new Dictionary<Command, string> { [eval] = EvalCommand.MetricsHelp });

        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction && parsed.Errors.Count > 0)
        {
            // One line, and the usage exit code, instead of the parser's default of 1 plus the whole help text.
            error.WriteLine($"bitsieve: error: {parsed.Errors[0].Message} (see --help)");
            return Task.FromResult(ExitCodes.Usage);
        }

        return parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = stopTimeout }, cancellationToken);
    }
}
