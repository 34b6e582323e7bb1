namespace BitSieve.Search.Graph;

/// <summary>How one filtered query is answered when the collection has a calibrated graph.</summary>
internal enum GraphSearchPlan
{
    /// <summary>The allowed points are scored exactly one by one (a very selective filter).</summary>
    ScoreAllowed,

    /// <summary>The flat cascade scans every code, keeping only allowed points.</summary>
    Flat,

    /// <summary>The filtered graph traversal (<see cref="GraphIndex.Search"/> with the allowed set) at the calibrated beam width.</summary>
    Graph,
}

/// <summary>
/// Chooses, per filtered query, between scoring the allowed points directly, the flat cascade over the allowed set and
/// the filtered traversal, from the allowed fraction and the graph's <see cref="GraphCalibration"/>. Costs are in flat
/// T1 estimates per query, as in the calibration: the flat cascade costs one per live point; scoring one allowed
/// point directly costs <see cref="Filters.FilterPlanner.DirectScoringRatio"/> (the flat path's own rule); the
/// traversal costs the calibrated graph cost divided by the allowed fraction (to fill its beam with allowed nodes it
/// reaches about 1/fraction times as many), and is only trusted down to <see cref="MinTraversalFraction"/>, the lowest
/// fraction its recall has been measured at.
/// </summary>
internal static class GraphPlanner
{
    /// <summary>Below this allowed fraction the filtered traversal is not chosen.</summary>
    public const double MinTraversalFraction = 0.1;

    /// <summary>The plan for a query whose filter allows <paramref name="allowed"/> of <paramref name="live"/> points.</summary>
    public static GraphSearchPlan Choose(long allowed, long live, GraphCalibration calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentOutOfRangeException.ThrowIfNegative(allowed);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(allowed, live);
        if (allowed * Filters.FilterPlanner.DirectScoringRatio < live) return GraphSearchPlan.ScoreAllowed;
        double fraction = live == 0 ? 0 : allowed / (double)live;
        if (calibration.Path != GraphPath.Graph || fraction < MinTraversalFraction) return GraphSearchPlan.Flat;
        return calibration.GraphCost / fraction < live ? GraphSearchPlan.Graph : GraphSearchPlan.Flat;
    }
}
