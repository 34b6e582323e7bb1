namespace BitSieve.Filters;

/// <summary>
/// How many points a filter selects, estimated before any key is read: at least <see cref="Min"/>, at most
/// <see cref="Max"/>, about <see cref="Expected"/> (the model of Qdrant's <c>query_estimator</c>).
/// </summary>
internal readonly record struct CardinalityEstimate(long Min, long Expected, long Max)
{
    /// <summary>A count known exactly.</summary>
    public static CardinalityEstimate Exactly(long count) => new(count, count, count);

    /// <summary>Nothing known about a condition: anywhere from none to all, half expected.</summary>
    public static CardinalityEstimate Unknown(long total) => new(0, total / 2, total);

    /// <summary>The points a condition rejects, given the estimate of those it selects.</summary>
    public CardinalityEstimate Complement(long total) => new(total - Max, total - Expected, total - Min);

    /// <summary>
    /// <c>must</c>: all hold. At most the smallest maximum; at least what the minimums force to overlap; expected as if
    /// the conditions were independent.
    /// </summary>
    public static CardinalityEstimate AllOf(IReadOnlyList<CardinalityEstimate> parts, long total)
    {
        if (parts.Count == 0) return Exactly(total);
        long min = 0, max = total;
        double expected = total;
        foreach (var part in parts)
        {
            min += part.Min;
            max = Math.Min(max, part.Max);
            expected *= total == 0 ? 0 : (double)part.Expected / total;
        }
        min = Math.Max(0, min - (parts.Count - 1) * total);
        return new(Math.Min(min, max), Math.Clamp((long)expected, min, max), max);
    }

    /// <summary><c>should</c>: at least one holds. At least the largest minimum, at most the sum of the maximums.</summary>
    public static CardinalityEstimate AnyOf(IReadOnlyList<CardinalityEstimate> parts, long total)
    {
        long min = 0, max = 0;
        double none = 1;
        foreach (var part in parts)
        {
            min = Math.Max(min, part.Min);
            max = Math.Min(total, max + part.Max);
            none *= total == 0 ? 1 : 1 - (double)part.Expected / total;
        }
        return new(min, Math.Clamp((long)(total * (1 - none)), min, max), max);
    }
}

/// <summary>How a filtered search gets its allowed set, chosen from the filter's <see cref="CardinalityEstimate"/>.</summary>
internal enum FilterPlan
{
    /// <summary>Certainly fewer than one point in <see cref="FilterPlanner.DirectScoringRatio"/>: the allowed keys are read and scored exactly one by one.</summary>
    ScoreAllowed,

    /// <summary>The allowed keys are read and the cascade scans only them.</summary>
    CascadeOverAllowed,

    /// <summary>Nearly every point is allowed: the few rejected keys are read instead, and the cascade scans every other point.</summary>
    CascadeExceptRejected,
}

/// <summary>
/// Estimates a filter's cardinality from payload-index counts (capped: an index is read only until the count decides
/// the plan) and picks a <see cref="FilterPlan"/>. The plan decides only which keys are read; the search's answer is
/// the same whichever it picks.
/// </summary>
internal static class FilterPlanner
{
    /// <summary>
    /// Where a filter allows fewer than one point in this many, its points are scored exactly one by one instead of
    /// scanning every code (the vector index decides the same on the exact count).
    /// </summary>
    public const int DirectScoringRatio = 32;

    /// <summary>Points of the sample that settles a plan the bounds leave open.</summary>
    public const int SampleSize = 512;

    /// <summary>
    /// The estimate of <paramref name="filter"/> among <paramref name="total"/> points. <paramref name="countIndexed"/>
    /// counts the points a field condition selects, up to its second argument (a cap), through a payload index, or
    /// returns null when no index serves the condition.
    /// </summary>
    public static CardinalityEstimate Estimate(Filter filter, long total, Func<FieldCondition, long, long?> countIndexed)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(countIndexed);
        long cap = DirectThreshold(total);
        return Clause(filter, total, cap, countIndexed);
    }

    /// <summary>
    /// The plan for an estimate. <paramref name="sampleRejected"/> is asked only when the bounds leave the choice open:
    /// the fraction of a sample of points that the filter rejects.
    /// </summary>
    public static FilterPlan Choose(CardinalityEstimate estimate, long total, Func<double> sampleRejected)
    {
        ArgumentNullException.ThrowIfNull(sampleRejected);
        if (estimate.Max < DirectThreshold(total)) return FilterPlan.ScoreAllowed;
        if (total - estimate.Min < DirectThreshold(total)) return FilterPlan.CascadeExceptRejected;
        // Rejecting under half of the 1-in-32 share in the sample: the rejected keys are almost surely the shorter list.
        return sampleRejected() * DirectScoringRatio * 2 < 1 ? FilterPlan.CascadeExceptRejected : FilterPlan.CascadeOverAllowed;
    }

    /// <summary>Below this many allowed points, the points are scored one by one.</summary>
    public static long DirectThreshold(long total) => (total + DirectScoringRatio - 1) / DirectScoringRatio;

    private static CardinalityEstimate Clause(Filter filter, long total, long cap, Func<FieldCondition, long, long?> countIndexed)
    {
        var parts = new List<CardinalityEstimate>();
        if (filter.Must is { } must) parts.AddRange(must.Select(c => Condition(c, total, cap, countIndexed)));
        if (filter.MustNot is { } mustNot) parts.AddRange(mustNot.Select(c => Condition(c, total, cap, countIndexed).Complement(total)));
        if (filter.Should is { } should)
            parts.Add(CardinalityEstimate.AnyOf([.. should.Select(c => Condition(c, total, cap, countIndexed))], total));
        if (filter.MinShould is { } minShould)
        {
            // At least min_count hold: no more than if one sufficed, and no lower bound from the parts.
            var any = CardinalityEstimate.AnyOf([.. minShould.Conditions.Select(c => Condition(c, total, cap, countIndexed))], total);
            parts.Add(any with { Min = 0 });
        }
        return CardinalityEstimate.AllOf(parts, total);
    }

    private static CardinalityEstimate Condition(Condition condition, long total, long cap, Func<FieldCondition, long, long?> countIndexed) => condition switch
    {
        Filter inner => Clause(inner, total, cap, countIndexed),
        HasIdCondition hasId => new(0, Math.Min(total, hasId.Ids.Count), Math.Min(total, hasId.Ids.Count)),
        FieldCondition field when countIndexed(field, cap) is long count =>
            count < cap ? CardinalityEstimate.Exactly(count) : new(count, Math.Max(count, (count + total) / 2), total),
        _ => CardinalityEstimate.Unknown(total),
    };
}
