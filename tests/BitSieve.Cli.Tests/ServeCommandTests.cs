using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary><c>bitsieve serve</c>'s failures: one line on stderr and the usual exit codes.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_bad_host_or_body_limit_is_a_usage_error()
    {
        var (code, _, error) = await Run("serve", "--db", TempPath(), "--host", "example.com", "--port", "0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("bitsieve serve: error: The host must be an IP address", error, StringComparison.Ordinal);

        (code, _, error) = await Run("serve", "--db", TempPath(), "--max-body-mb", "0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--max-body-mb must be between 1 and 4096", error, StringComparison.Ordinal);

        (code, _, error) = await Run("serve", "--db", TempPath(), "--cors-origin", "app.example");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--cors-origin must be a web origin", error, StringComparison.Ordinal);

        (code, _, error) = await Run("serve", "--db", TempPath(), "--max-response-bytes", "10");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--max-response-bytes must be at least 1024", error, StringComparison.Ordinal);

        (code, _, error) = await Run("serve", "--db", TempPath(), "--allowed-hosts", " , ");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--allowed-hosts needs at least one host name", error, StringComparison.Ordinal);

        // A silo's layout for /v1 collections is checked before it joins anything.
        (code, _, error) = await Run("serve", "--db", TempPath(), "--cluster", "redis://127.0.0.1:9", "--shards", "0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("The shard number must be 1 to 1024, not 0", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_held_by_another_writer_fails_naming_the_holder()
    {
        using (var holder = Database.Open(_dir.File("held")))
        {
            var (code, _, error) = await Run("serve", "--db", holder.Path, "--port", "0");
            Assert.Equal(ExitCodes.Failure, code);
            Assert.Contains("bitsieve serve: error:", error, StringComparison.Ordinal);
            Assert.Contains(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_grpc_port_in_use_stops_serve_naming_it()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var (code, _, error) = await Run("serve", "--db", TempPath(), "--port", "0", "--grpc-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("bitsieve serve: error:", error, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error, StringComparison.Ordinal);

        (code, _, error) = await Run("serve", "--db", TempPath(), "--port", "7000", "--grpc-port", "7000");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--grpc-port and --port are both 7000", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_options()
    {
        var (code, output, _) = await Run("serve", "--help");
        Assert.Equal(ExitCodes.Ok, code);
        foreach (string option in new[] { "--db", "--port", "--host", "--api-key", "--max-body-mb", "--max-response-bytes", "--allowed-hosts", "--cors-origin", "--model", "--grpc-port", "--no-grpc", "--cluster", "--shards", "--replicas" })
            Assert.Contains(option, output, StringComparison.Ordinal);
    }

    /// <summary>A database folder that does not exist yet (the usage errors are reported before anything is opened).</summary>
    private string TempPath() => _dir.File("db-" + Guid.NewGuid().ToString("N"));
}
