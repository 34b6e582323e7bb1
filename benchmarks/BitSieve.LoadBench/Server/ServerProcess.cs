using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace BitSieve.LoadBench.Server;

/// <summary>
/// A <c>bitsieve serve</c> child process on a free loopback port (<c>--port 0</c>; the address is read from the line
/// it prints once listening), so a load test measures the server's memory apart from the client's. Disposing kills it.
/// </summary>
internal sealed partial class ServerProcess : IDisposable
{
    private const int KeptLines = 20;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines;
    private bool _disposed;

    private ServerProcess(Process process, Uri address, Uri? grpcAddress, ConcurrentQueue<string> lines)
    {
        _process = process;
        Address = address;
        GrpcAddress = grpcAddress;
        _lines = lines;
    }

    /// <summary>The server's base address (<c>http://127.0.0.1:PORT/</c>).</summary>
    public Uri Address { get; }

    /// <summary>The address of its gRPC API (<c>--grpc-port 0</c>: a free port), from the same line.</summary>
    public Uri? GrpcAddress { get; }

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the child has exited (it should not before it is disposed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the child wrote (stdout and stderr), for error messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _lines);

    /// <summary>Starts <c>bitsieve serve --db <paramref name="database"/> --host 127.0.0.1 --port 0</c> and waits until it listens.</summary>
    /// <exception cref="InvalidOperationException">The child exited or did not listen within <paramref name="timeout"/>.</exception>
    public static Task<ServerProcess> StartAsync(string database, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        return StartAsync(["serve", "--db", database, "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0"], timeout, cancellationToken);
    }

    /// <summary>
    /// Starts a cluster silo, <c>bitsieve serve --cluster <paramref name="redis"/> --db <paramref name="database"/> --host 127.0.0.1
    /// --port 0</c> with the given silo and gateway ports, and waits until its HTTP API listens (it may not be an active
    /// member of the cluster yet: its <c>/readyz</c> says when).
    /// </summary>
    /// <exception cref="InvalidOperationException">The child exited or did not listen within <paramref name="timeout"/>.</exception>
    public static Task<ServerProcess> StartSiloAsync(string database, string redis, int siloPort, int gatewayPort, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(redis);
        return StartAsync(["serve", "--cluster", redis, "--db", database, "--host", "127.0.0.1", "--port", "0",
            "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture)], timeout, cancellationToken);
    }

    private static async Task<ServerProcess> StartAsync(string[] arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = ToolProcess.Cli(arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var listening = new TaskCompletionSource<(Uri Http, Uri? Grpc)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var lines = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            Keep(lines, e.Data);
            if (e.Data is not null && ListeningLine().Match(e.Data) is { Success: true } match)
                listening.TrySetResult((new Uri(match.Groups[1].Value), match.Groups[2].Success ? new Uri(match.Groups[2].Value) : null));
        };
        process.ErrorDataReceived += (_, e) => Keep(lines, e.Data);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException(
            $"the server process exited ({process.ExitCode}) before listening: {string.Join(" | ", lines)}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var (address, grpc) = await listening.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return new ServerProcess(process, address, grpc, lines);
        }
        catch (TimeoutException)
        {
            Kill(process);
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"the server process did not listen within {timeout.TotalSeconds:F0} s: {string.Join(" | ", lines)}"));
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>The child's resident memory now (Linux /proc; zeros elsewhere or once it has exited).</summary>
    public ProcessMemory Memory() => ProcessMemory.Read(_process.Id);

    /// <summary>Kills the child (and anything it started) and waits for it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Kill(_process);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null) return;
        lines.Enqueue(line);
        while (lines.Count > KeptLines) lines.TryDequeue(out _);
    }

    [GeneratedRegex(@"listening on (http://[^\s,;]+)(?:[^;]*; gRPC on (http://[^\s,;]+))?")]
    private static partial Regex ListeningLine();
}

/// <summary>A process's resident memory from <c>/proc/PID/status</c>, in bytes.</summary>
/// <param name="Rss">VmRSS: all resident pages.</param>
/// <param name="RssAnon">RssAnon: anonymous pages (the managed heap, native allocations, stacks).</param>
/// <param name="RssFile">RssFile: file-backed pages (code, and the memory-mapped float32 originals that searches touched).</param>
/// <param name="Peak">VmHWM: the peak of VmRSS so far.</param>
internal readonly record struct ProcessMemory(long Rss, long RssAnon, long RssFile, long Peak)
{
    /// <summary>Reads the fields of process <paramref name="processId"/>; zeros where <c>/proc</c> is missing or the process is gone.</summary>
    public static ProcessMemory Read(int processId)
    {
        long rss = 0, anon = 0, file = 0, peak = 0;
        string path = string.Create(CultureInfo.InvariantCulture, $"/proc/{processId}/status");
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kilobytes(line);
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kilobytes(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default;
        }
        return new ProcessMemory(rss, anon, file, peak);
    }

    // "VmRSS:	  123456 kB"
    private static long Kilobytes(string line)
    {
        var value = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        int space = value.IndexOf(' ');
        return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture) * 1024;
    }
}
