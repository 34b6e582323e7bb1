using BitSieve.Cli;

namespace BitSieve.Tests.Cli;

/// <summary>The help names the command as users type it, however the process was started.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData(new[] { "--help" }, "bitsieve [command] [options]")]
    [InlineData(new[] { "info", "--help" }, "bitsieve info [options]")]
    public void Usage_names_the_command_bitsieve(string[] args, string usage)
    {
        var output = new StringWriter();
        int code = Program.Run(args, output, new StringWriter());
        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n').Select(l => l.Trim()).ToList();
        // The first line after "Usage:" (under the test host the executable is testhost, under `dotnet run` BitSieve.Cli).
        Assert.Equal(usage, lines[lines.IndexOf("Usage:") + 1]);
    }
}
