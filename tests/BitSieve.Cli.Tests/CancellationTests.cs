using System.Diagnostics;
using System.Globalization;
using BitSieve.Cli.Data;

namespace BitSieve.Cli.Tests;

/// <summary>
/// Ctrl+C (SIGINT) and a cancelled token stop a command at its next safe point: what it reported committed stays,
/// it says <c>cancelled</c> and exits 130. <c>serve</c> still stops after its closing checkpoint.
/// </summary>
public sealed class CancellationTests : IDisposable
{
    private const int Dim = 16;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_cancelled_import_stops_after_the_batch_it_reported_and_keeps_it()
    {
        string vectors = _dir.File("v.fvecs"), db = _dir.File("db");
        VecsFile.WriteFvecs(vectors, RandomVectors.Gaussian(1000, Dim, seed: 5), Dim);
        using var stop = new CancellationTokenSource();
        // Cancelled as the first durable batch is reported, as Ctrl+C would be.
        using var output = new CancelOnLine("committed ", stop);
        using var error = new StringWriter();

        int code = await Program.RunAsync(["import", "--db", db, "--collection", "c", "--vectors", vectors, "--batch", "100"], output, error,
            cancellationToken: stop.Token);

        Assert.Equal(ExitCodes.Cancelled, code);
        Assert.Equal("bitsieve import: cancelled", error.ToString().TrimEnd().Split('\n')[^1]);
        Assert.Equal(["committed 100"], output.Lines);
        using var database = Database.Open(db);
        Assert.Equal(100, database.GetCollection("c").Count);
    }

    [Fact]
    public async Task A_search_cancelled_before_it_starts_prints_nothing_and_exits_130()
    {
        string vectors = _dir.File("v.fvecs"), db = _dir.File("db");
        VecsFile.WriteFvecs(vectors, RandomVectors.Gaussian(200, Dim, seed: 6), Dim);
        Assert.Equal(ExitCodes.Ok, await Program.RunAsync(["import", "--db", db, "--collection", "c", "--vectors", vectors], TextWriter.Null, TextWriter.Null));
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await Program.RunAsync(["search", "--db", db, "--collection", "c", "--vectors", vectors, "--json"], output, error,
            cancellationToken: new CancellationToken(canceled: true));

        Assert.Equal(ExitCodes.Cancelled, code);
        Assert.Equal(string.Empty, output.ToString());
        Assert.Equal("bitsieve search: cancelled", error.ToString().TrimEnd());
    }

    /// <summary>The real signal: <c>bitsieve import</c> as a process, interrupted once it reported its first batch.</summary>
    [Fact]
    public async Task Ctrl_c_stops_an_import_process_between_batches_and_everything_it_reported_is_there()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // the signal is sent with kill(1)
        const int Rows = 200_000;
        string vectors = _dir.File("v.fvecs"), db = _dir.File("db");
        VecsFile.WriteFvecs(vectors, RandomVectors.Gaussian(Rows, Dim, seed: 7), Dim);
        using var process = StartCli("import", "--db", db, "--collection", "c", "--vectors", vectors, "--batch", "100");
        var errors = process.StandardError.ReadToEndAsync();

        string? first = await Within(process, "report its first batch", token => process.StandardOutput.ReadLineAsync(token).AsTask());
        Assert.True(first is not null && first.StartsWith("committed ", StringComparison.Ordinal), $"first line '{first}'; stderr: {(process.HasExited ? await errors : "")}");
        Interrupt(process);
        var lines = new List<string> { first };
        string rest = await Within(process, "stop after Ctrl+C", async token =>
        {
            string output = await process.StandardOutput.ReadToEndAsync(token);
            await process.WaitForExitAsync(token);
            return output;
        });
        lines.AddRange(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        Assert.Equal(ExitCodes.Cancelled, process.ExitCode);
        Assert.EndsWith("bitsieve import: cancelled", (await errors).TrimEnd(), StringComparison.Ordinal);
        long committed = long.Parse(lines[^1].AsSpan("committed ".Length), CultureInfo.InvariantCulture);
        Assert.True(committed < Rows, $"the import finished ({committed} rows) before the interrupt reached it");
        using var database = Database.Open(db);
        Assert.Equal(committed, database.GetCollection("c").Count);
    }

    /// <summary><c>serve</c> runs its own host; Ctrl+C still stops it cleanly, after the closing checkpoint, with exit code 0.</summary>
    [Fact]
    public async Task Ctrl_c_stops_serve_after_its_closing_checkpoint()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // the signal is sent with kill(1)
        using var process = StartCli("serve", "--db", _dir.File("db"), "--port", "0", "--grpc-port", "0");
        var errors = process.StandardError.ReadToEndAsync();

        string? listening = await Within(process, "start listening", token => process.StandardOutput.ReadLineAsync(token).AsTask());
        Assert.True(listening is not null && listening.StartsWith("bitsieve serve: listening on http://127.0.0.1:", StringComparison.Ordinal),
            $"first line '{listening}'; stderr: {(process.HasExited ? await errors : "")}");
        Interrupt(process);
        string rest = await Within(process, "stop after Ctrl+C", async token =>
        {
            string output = await process.StandardOutput.ReadToEndAsync(token);
            await process.WaitForExitAsync(token);
            return output;
        });

        Assert.True(process.ExitCode == ExitCodes.Ok, $"exit code {process.ExitCode}; stderr: {await errors}");
        Assert.Contains("bitsieve serve: stopped; database checkpointed", rest, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>dotnet BitSieve.Cli.dll <paramref name="arguments"/></c>, stdout and stderr redirected. A process started in
    /// the background by a non-interactive shell (as a CI runner may start the tests) inherits SIGINT ignored, and a
    /// program rightly keeps an ignored SIGINT ignored; so the command runs through <c>env --default-signal=INT</c>,
    /// which gives it the terminal's default, as Ctrl+C in a terminal meets it.
    /// </summary>
    private static Process StartCli(params string[] arguments)
    {
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll"));
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    /// <summary>
    /// Waits for <paramref name="step"/> of <paramref name="process"/>; a process that has not got there within two
    /// minutes is killed and the test fails, instead of hanging the test run.
    /// </summary>
    private static async Task<T> Within<T>(Process process, string what, Func<CancellationToken, Task<T>> step)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            return await step(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"the process did not {what} within two minutes; killed");
        }
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    private static void Interrupt(Process process)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Keeps the lines written; cancels <paramref name="stop"/> on the first that starts with <paramref name="prefix"/>.</summary>
    private sealed class CancelOnLine(string prefix, CancellationTokenSource stop) : StringWriter(CultureInfo.InvariantCulture)
    {
        public List<string> Lines { get; } = [];

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            Lines.Add(value ?? string.Empty);
            if (value?.StartsWith(prefix, StringComparison.Ordinal) == true) stop.Cancel();
        }
    }
}
