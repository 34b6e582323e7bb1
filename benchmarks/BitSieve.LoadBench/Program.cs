using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using BitSieve.LoadBench.Cluster;
using BitSieve.LoadBench.Server;
using BitSieve.LoadBench.Storage;

namespace BitSieve.LoadBench;

/// <summary>
/// The load benchmarks of BitSieve that users of the <c>bitsieve</c> tool do not need:
/// <c>dotnet run --project benchmarks/BitSieve.LoadBench -c Release -- server|storage|cluster …</c> (docs/benchmarks.md).
/// </summary>
internal static class Program
{
    /// <summary>The tool's name in usage lines and error messages.</summary>
    public const string Name = "BitSieve.LoadBench";

    /// <summary>Process entry point: Ctrl+C and SIGTERM cancel the running benchmark (its server process is killed, its scratch files deleted).</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error, Cli.Program.StopTimeout);

    /// <summary>Parses and runs a command line, writing to the given writers; returns the exit code.</summary>
    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, TimeSpan? stopTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var root = new Command(Name, "BitSieve load benchmarks: the server under query and update load, the durable import path at scale, a cluster's memory and latency against a single node.")
        {
            new HelpOption(),
            ServerCommand.Create(),
            StorageCommand.Create(),
            ClusterCommand.Create(),
        };
        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction && parsed.Errors.Count > 0)
        {
            error.WriteLine($"{Name}: error: {parsed.Errors[0].Message} (see --help)");
            return Task.FromResult(Cli.ExitCodes.Usage);
        }

        return parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = stopTimeout }, cancellationToken);
    }
}
