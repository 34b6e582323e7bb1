using BitSieve.Cli;

namespace BitSieve.Cli.Tests;

/// <summary>The help names the command as users type it, however the process was started.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData(new[] { "--help" }, "bitsieve [command] [options]")]
    [InlineData(new[] { "info", "--help" }, "bitsieve info [options]")]
    public async Task Usage_names_the_command_bitsieve(string[] args, string usage)
    {
        var output = new StringWriter();
        int code = await Program.RunAsync(args, output, new StringWriter());
        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n').Select(l => l.Trim()).ToList();
        // The first line after "Usage:" (under the test host the executable is testhost, under `dotnet run` BitSieve.Cli).
        Assert.Equal(usage, lines[lines.IndexOf("Usage:") + 1]);
    }

    [Fact]
    public async Task The_load_benchmarks_live_in_the_benchmark_tool_and_bench_stays()
    {
        var cli = new StringWriter();
        Assert.Equal(0, await Program.RunAsync(["--help"], cli, new StringWriter()));
        var commands = CommandNames(cli.ToString());
        Assert.Contains("bench", commands);
        Assert.DoesNotContain("bench-server", commands);
        Assert.DoesNotContain("bench-storage", commands);

        var tool = new StringWriter();
        Assert.Equal(0, await LoadBench.Program.RunAsync(["--help"], tool, new StringWriter()));
        Assert.Equal(["server", "storage", "cluster"], CommandNames(tool.ToString()));
    }

    /// <summary>The first word of each line under "Commands:" in a help text.</summary>
    private static List<string> CommandNames(string help) =>
        help.Split('\n').SkipWhile(l => l.Trim() != "Commands:").Skip(1).TakeWhile(l => l.Trim().Length > 0)
            .Select(l => l.Trim().Split(' ')[0]).ToList();
}
