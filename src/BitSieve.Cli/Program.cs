using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using BitSieve.Cli.Commands;

namespace BitSieve.Cli;

/// <summary>The <c>bitsieve</c> command: wires the subcommands to the root.</summary>
public static class Program
{
    /// <summary>Process entry point.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs a command line, writing to the given writers; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
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
            BenchStorageCommand.Create(),
            BenchServerCommand.Create(),
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
            return ExitCodes.Usage;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
