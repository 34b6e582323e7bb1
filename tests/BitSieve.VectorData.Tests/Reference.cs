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

    /// <summary>
    /// The engine's fusion, written out: each list's scores (higher is better) min-max normalized over the list (a
    /// point missing from a list gets its 0), added with weights: the vector list's <paramref name="vectorConfidence"/>,
    /// BM25's <paramref name="lexicalConfidence"/>.
    /// </summary>
    public static List<(TId Id, double Score)> Fuse<TId>(IReadOnlyList<(TId Id, double Score)> vector, double vectorConfidence,
        IReadOnlyList<(TId Id, double Score)> lexical, double lexicalConfidence)
        where TId : notnull
    {
        var fused = new Dictionary<TId, double>();
        foreach (var (list, weight) in new[] { (vector, vectorConfidence), (lexical, lexicalConfidence) })
        {
            if (list.Count == 0) continue;
            double max = list.Max(h => h.Score), min = list.Min(h => h.Score);
            foreach (var (id, score) in list)
                fused[id] = fused.GetValueOrDefault(id) + weight * (max > min ? (score - min) / (max - min) : 1);
        }
        return [.. fused.OrderByDescending(f => f.Value).Select(f => (f.Key, f.Value))];
    }

    /// <summary>BM25's confidence: its top score over Σ idf · (k1 + 1), idf = ln(1 + (N − n + 0.5) / (n + 0.5)), over the terms some of the N rows hold.</summary>
    public static double LexicalConfidence(double topScore, int rows, IEnumerable<int> holding)
    {
        double attainable = holding.Where(n => n > 0).Sum(n => Math.Log(1 + (rows - n + 0.5) / (n + 0.5)) * 2.2);
        return attainable > 0 ? topScore / attainable : 0;
    }

    public static float[] Normalized(ReadOnlySpan<float> x)
    {
        double norm = 0;
        foreach (float v in x) norm += (double)v * v;
        norm = Math.Sqrt(norm);
        return [.. x.ToArray().Select(v => (float)(v / norm))];
    }
}
