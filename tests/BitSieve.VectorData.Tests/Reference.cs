using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData.Tests;

/// <summary>The exact answers the connector's results are checked against: LINQ to objects and brute-force scoring.</summary>
public static class Reference
{
    /// <summary>The score of <paramref name="x"/> for <paramref name="query"/> under a distance function, in double precision.</summary>
    public static double Score(string distanceFunction, ReadOnlySpan<float> query, ReadOnlySpan<float> x)
    {
        double dot = 0, qq = 0, xx = 0, squared = 0;
        for (int i = 0; i < query.Length; i++)
        {
            dot += (double)query[i] * x[i];
            qq += (double)query[i] * query[i];
            xx += (double)x[i] * x[i];
            double d = (double)query[i] - x[i];
            squared += d * d;
        }
        double cosine = dot / Math.Sqrt(qq * xx);
        return distanceFunction switch
        {
            DistanceFunction.CosineSimilarity => cosine,
            DistanceFunction.CosineDistance => 1 - cosine,
            DistanceFunction.DotProductSimilarity => dot,
            DistanceFunction.NegativeDotProductSimilarity => -dot,
            DistanceFunction.EuclideanDistance => Math.Sqrt(squared),
            DistanceFunction.EuclideanSquaredDistance => squared,
            _ => throw new ArgumentOutOfRangeException(nameof(distanceFunction)),
        };
    }

    public static bool HigherIsBetter(string distanceFunction) =>
        distanceFunction is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;

    /// <summary>Exact search: every record the filter keeps, scored, best first, paged, thresholded.</summary>
    public static List<(T Record, double Score)> Search<T>(IEnumerable<T> records, Func<T, ReadOnlyMemory<float>> vector, ReadOnlySpan<float> query,
        string distanceFunction, Func<T, bool>? filter = null, int top = 10, int skip = 0, double? threshold = null)
    {
        var q = query.ToArray();
        var scored = records.Where(r => filter?.Invoke(r) ?? true).Select(r => (Record: r, Score: Score(distanceFunction, q, vector(r).Span)));
        scored = HigherIsBetter(distanceFunction) ? scored.OrderByDescending(s => s.Score) : scored.OrderBy(s => s.Score);
        var page = scored.Skip(skip).Take(top);
        if (threshold is { } t) page = page.Where(s => HigherIsBetter(distanceFunction) ? s.Score >= t : s.Score <= t);
        return page.ToList();
    }

    /// <summary>Reciprocal rank fusion of rankings (ids best first), as the engine fuses: Σ 1/(60 + rank), rank from 1.</summary>
    public static List<(TId Id, double Score)> Fuse<TId>(params IReadOnlyList<TId>[] rankings)
        where TId : notnull
    {
        var fused = new Dictionary<TId, double>();
        foreach (var ranking in rankings)
            for (int r = 0; r < ranking.Count; r++) fused[ranking[r]] = fused.GetValueOrDefault(ranking[r]) + 1.0 / (60 + r + 1);
        return [.. fused.OrderByDescending(f => f.Value).Select(f => (f.Key, f.Value))];
    }

    public static float[] Normalized(ReadOnlySpan<float> x)
    {
        double norm = 0;
        foreach (float v in x) norm += (double)v * v;
        norm = Math.Sqrt(norm);
        return [.. x.ToArray().Select(v => (float)(v / norm))];
    }
}
