namespace BitSieve.Server.Tests;

/// <summary>One server per test class, with a 4-dimensional cosine collection <c>c</c> holding points 1–3.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    private ServerHost? _host;

    public ServerHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(new ServerOptions { MaxRequestBodyBytes = 64 << 10, MaxLimit = 100, MaxPointsPerRequest = 50, MaxBatchSearches = 4 });
        await _host.CreateCollectionAsync("c", 4);
        (await _host.PutAsync("/collections/c/points", """
            {"points":[{"id":1,"vector":[1,0,0,0],"payload":{"topic":"a"}},{"id":2,"vector":[0,1,0,0],"payload":{"topic":"b"}},
                       {"id":3,"vector":[0,0,1,0]}]}
            """)).AssertOk();
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}
