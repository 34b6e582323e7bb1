namespace BitSieve.Cli.Tests;

/// <summary>Runs the <c>bitsieve</c> command line in this process, as the tests of its commands do.</summary>
internal static class CliRun
{
    /// <summary>Runs <c>bitsieve <paramref name="args"/></c>; returns its exit code and what it wrote to stdout and stderr.</summary>
    public static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await Program.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
