using System.Globalization;

namespace BitSieve.Server.Http;

/// <summary>
/// The bound on one response (<see cref="ServerOptions.MaxResponseBytes"/>), checked before the engine reads or builds
/// anything: every point a request may return costs its vector's float32 bytes (when vectors are asked for), the
/// collection's average payload (when payloads are), and a small fixed part (id, score, JSON punctuation), summed over
/// every search of a batch. A search returns at most <c>limit + offset</c> points (the engine materializes all of
/// them) and never more than the collection holds. The average payload is estimated as the points database's bytes
/// per point: an overestimate, since that file also holds the payload indexes.
/// </summary>
internal sealed class ResponseBudget
{
    /// <summary>Bytes counted per point for its id, score, version and JSON punctuation.</summary>
    public const long PointOverhead = 64;

    private readonly CollectionInfo _info;
    private long? _payloadBytes;
    private readonly long _limit;
    private readonly string _what;
    private long _points;
    private long _bytes;

    /// <summary>The budget of a response from the collection <paramref name="info"/> describes (read already, as by <see cref="IPointCollection.InfoAsync"/>).</summary>
    public ResponseBudget(CollectionInfo info, ServerOptions options, string what)
    {
        _info = info;
        _limit = options.MaxResponseBytes;
        _what = what;
    }

    /// <summary>Counts a part of the response: up to <paramref name="points"/> points, with or without payloads and vectors.</summary>
    public void Add(long points, bool withPayload, bool withVector)
    {
        long n = Math.Min(points, _info.Count);
        _points += n;
        _bytes += n * (PointOverhead + (withPayload ? PayloadBytes() : 0) + (withVector ? (long)_info.Options.Dimension * sizeof(float) : 0));
    }

    /// <summary>The average payload's estimate (from the file sizes), counted only when payloads are asked for.</summary>
    private long PayloadBytes() =>
        _payloadBytes ??= _info.FileBytes.TryGetValue("points_db", out long db) ? db / Math.Max(1, _info.Count) : 0;

    /// <summary>Throws the 400 when the parts counted so far exceed the budget.</summary>
    public void Check()
    {
        if (_bytes <= _limit) return;
        string estimate = string.Create(CultureInfo.InvariantCulture,
            $"{_what} could return {_points} points, about {_bytes} bytes (vectors of {_info.Options.Dimension} float32, payloads of about {_payloadBytes ?? 0} bytes each)");
        string budget = string.Create(CultureInfo.InvariantCulture, $"this server's response budget of {_limit} bytes");
        throw ApiException.BadRequest($"{estimate}, more than {budget} (bitsieve serve --max-response-bytes, ServerOptions.MaxResponseBytes); " +
            "ask for fewer points, fewer searches per batch, or leave out vectors or payloads");
    }
}
