using BitSieve.Server;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Tests;

/// <summary>
/// One silo in process on Orleans' localhost clustering, with its own database folder and free ports, started and
/// waited for until it is an active member: the in-process tests' cluster.
/// </summary>
internal sealed class LocalSilo : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private LocalSilo(ClusterSilo silo, TempDirectory dir)
    {
        Silo = silo;
        _dir = dir;
        Http = new HttpClient { BaseAddress = new Uri(silo.Addresses[0]) };
    }

    /// <summary>The silo (its services through <c>App</c>).</summary>
    public ClusterSilo Silo { get; }

    /// <summary>A client of the silo's HTTP API.</summary>
    public HttpClient Http { get; }

    /// <summary>Starts a silo (its options adjusted by <paramref name="configure"/>) and returns once its <c>/readyz</c> answers 200.</summary>
    public static async Task<LocalSilo> StartAsync(Func<ClusterOptions, ClusterOptions>? configure = null)
    {
        var dir = new TempDirectory();
        var options = new ClusterOptions
        {
            Server = new ServerOptions { DatabasePath = Path.Combine(dir.Path, "silo"), Port = ClusterData.FreePort() },
            SiloPort = ClusterData.FreePort(),
            GatewayPort = ClusterData.FreePort(),
        };
        var silo = ClusterSilo.Create(configure?.Invoke(options) ?? options, logging => logging.SetMinimumLevel(LogLevel.Error));
        await silo.StartAsync();
        var local = new LocalSilo(silo, dir);
        await ClusterData.WaitUntilAsync(async () => (await local.Http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the silo to be an active member");
        return local;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Silo.DisposeAsync();
        _dir.Dispose();
    }
}
