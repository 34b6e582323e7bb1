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
    /// The engine's fusion (the ladder), written out: the list with the higher confidence (clamped to [0, 1]; the vectors
    /// on a tie) leads, each of its points scoring (score − its lowest) / the population standard deviation of its
    /// scores; the other list's min-max normalized score is added to the points the leader holds. A point only the
    /// follower holds scores the leader's part at the follower's rank for it (equal scores sharing the best) when BM25 leads or
    /// <paramref name="lexicalExhaustive"/> (BM25's list holds every point with a query term), else its min-max score.
    /// </summary>
    public static List<(TId Id, double Score)> Fuse<TId>(IReadOnlyList<(TId Id, double Score)> vector, double vectorConfidence,
        IReadOnlyList<(TId Id, double Score)> lexical, double lexicalConfidence, bool lexicalExhaustive)
        where TId : notnull
    {
        bool vectorLeads = Math.Clamp(vectorConfidence, 0, 1) >= Math.Clamp(lexicalConfidence, 0, 1);
        var (leader, follower) = vectorLeads ? (vector, lexical) : (lexical, vector);
        double mean = leader.Average(h => h.Score), lowest = leader.Min(h => h.Score);
        double deviation = Math.Sqrt(leader.Average(h => (h.Score - mean) * (h.Score - mean)));
        var rungs = leader.Select(h => deviation > 0 ? (h.Score - lowest) / deviation : 0).ToList();
        var fused = new Dictionary<TId, double>();
        for (int r = 0; r < leader.Count; r++) fused[leader[r].Id] = rungs[r];
        double max = follower.Count > 0 ? follower.Max(h => h.Score) : 0, min = follower.Count > 0 ? follower.Min(h => h.Score) : 0;
        for (int r = 0; r < follower.Count; r++)
        {
            double part = max > min ? (follower[r].Score - min) / (max - min) : 1;
            // The follower's rank for it: equal scores share the best.
            int rank = r;
            while (rank > 0 && follower[rank - 1].Score == follower[r].Score) rank--;
            if (fused.TryGetValue(follower[r].Id, out double held)) fused[follower[r].Id] = held + part;
            else fused[follower[r].Id] = !vectorLeads || lexicalExhaustive ? (rank < rungs.Count ? rungs[rank] : 0) : part;
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
