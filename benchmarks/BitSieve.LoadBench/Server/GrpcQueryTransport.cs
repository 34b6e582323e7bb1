using System.Globalization;
using Grpc.Net.Client;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace BitSieve.LoadBench.Server;

using PointId = global::Qdrant.Client.Grpc.PointId;
using ScoredPoint = global::Qdrant.Client.Grpc.ScoredPoint;

/// <summary>
/// Qdrant queries over gRPC with the official .NET client (<see cref="QdrantClient"/> of <c>Qdrant.Client</c>), as a
/// .NET application would send them: <c>qdrant.Points/Query</c> with a dense vector, <c>limit</c> results, no payload.
/// One channel that may open more than one HTTP/2 connection, so 64 workers are not held to one connection's streams.
/// </summary>
internal sealed class GrpcQueryTransport : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly QdrantClient _client;
    private readonly string _collection;
    private readonly float[][] _queries;

    /// <summary>Prepares the client for <paramref name="address"/> (<c>http://127.0.0.1:PORT</c>) and the query vectors.</summary>
    public GrpcQueryTransport(Uri address, string collection, VecsMatrix<float> queries)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(queries);
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) },
            DisposeHttpClient = true,
        });
        _client = new QdrantClient(new QdrantGrpcClient(_channel), TimeSpan.FromSeconds(30));
        _collection = collection;
        _queries = new float[queries.Rows][];
        for (int i = 0; i < queries.Rows; i++) _queries[i] = queries.Row(i).ToArray();
    }

    /// <summary>Sends query <paramref name="row"/>; the answer's points.</summary>
    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(int row, int limit, CancellationToken cancellationToken) =>
        _client.QueryAsync(_collection, _queries[row], limit: (ulong)limit, payloadSelector: false, cancellationToken: cancellationToken);

    /// <summary>Null when the answer holds <paramref name="limit"/> distinct integer ids of the collection, best first; else why not.</summary>
    public static string? Validate(IReadOnlyList<ScoredPoint> hits, int limit, long points)
    {
        ArgumentNullException.ThrowIfNull(hits);
        if (hits.Count != limit) return string.Create(CultureInfo.InvariantCulture, $"{hits.Count} points, expected {limit}");
        var seen = new HashSet<ulong>();
        float previous = float.PositiveInfinity;
        foreach (var hit in hits)
        {
            if (hit.Id.PointIdOptionsCase != PointId.PointIdOptionsOneofCase.Num) return "a point without an integer id";
            if (hit.Id.Num >= (ulong)points) return string.Create(CultureInfo.InvariantCulture, $"id {hit.Id.Num} is not in the collection (0..{points - 1})");
            if (!seen.Add(hit.Id.Num)) return string.Create(CultureInfo.InvariantCulture, $"id {hit.Id.Num} twice");
            if (hit.Score > previous) return "scores are not in descending order";
            previous = hit.Score;
        }
        return null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        _channel.Dispose();
    }
}
