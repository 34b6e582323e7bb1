using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace BitSieve.Server.Metrics;

/// <summary>
/// BitSieve's own instruments, exported with ASP.NET Core's (requests, latency histograms) at <c>/metrics</c> in
/// Prometheus' text format: points per collection, bytes per tier, searches by mode and float32 originals read.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "BitSieve.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _searches;
    private readonly Histogram<long> _originalsRead;

    /// <summary>
    /// Creates the instruments (the meter belongs to the factory, which disposes it with the server's services); the
    /// gauges read the collections of <paramref name="database"/> at each scrape: a single node's, or on a cluster silo
    /// the shard replicas the silo holds.
    /// </summary>
    public ServerMetrics(Database database, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("bitsieve.collection.points", () => Observe(database, (info, tags) =>
            [new Measurement<long>(info.Count, tags)]), unit: "{point}", description: "Live points per collection.");
        _meter.CreateObservableGauge("bitsieve.collection.tier.size", () => Observe(database, (info, tags) =>
        [
            Tier(info.BytesPerVector.T1 * info.Count, tags, "t1"),
            Tier(info.BytesPerVector.T2 * info.Count, tags, "t2"),
            Tier(info.BytesPerVector.Factors * info.Count, tags, "factors"),
            Tier(info.BytesPerVector.T3 * info.Count, tags, "t3"),
        ]), unit: "By", description: "Bytes per collection and precision tier: t1 (1-bit codes), t2 (extended codes), factors (resident), t3 (float32 originals, memory-mapped).");
        _searches = _meter.CreateCounter<long>("bitsieve.searches", unit: "{search}", description: "Searches by collection and mode (cascade, exact, oversampling).");
        _originalsRead = _meter.CreateHistogram<long>("bitsieve.search.originals_read", unit: "{vector}",
            description: "Float32 originals (T3) read per search.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [0, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] });
    }

    /// <summary>
    /// Registers the instruments and their export in Prometheus' format with ASP.NET Core's (map the scraping endpoint
    /// with <c>MapPrometheusScrapingEndpoint("/metrics")</c>); the gauges read the <see cref="Database"/> registered.
    /// </summary>
    internal static void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ServerMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
    }

    /// <summary>Records one search.</summary>
    public void Search(string collection, string mode, SearchTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var tags = new TagList { { "collection", collection }, { "mode", mode } };
        _searches.Add(1, tags);
        _originalsRead.Record(trace.T3Seen, tags);
    }

    private static Measurement<long> Tier(long bytes, KeyValuePair<string, object?>[] tags, string tier) =>
        new(bytes, [.. tags, new KeyValuePair<string, object?>("tier", tier)]);

    private static IEnumerable<Measurement<long>> Observe(Database database, Func<CollectionInfo, KeyValuePair<string, object?>[], Measurement<long>[]> measure)
    {
        var measurements = new List<Measurement<long>>();
        foreach (string name in database.CollectionNames())
        {
            CollectionInfo info;
            try
            {
                info = database.GetCollection(name).Info();
            }
            catch (Exception e) when (e is KeyNotFoundException or IOException or InvalidDataException or ObjectDisposedException or CorruptFileException or InvalidOperationException)
            {
                continue; // deleted meanwhile, or cannot be opened
            }
            measurements.AddRange(measure(info, [new("collection", info.Name)]));
        }
        return measurements;
    }
}
