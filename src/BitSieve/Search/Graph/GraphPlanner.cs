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
/// the filtered traversal, from the allowed fraction and what the graph's <see cref="GraphCalibration"/> measured on
/// the collection's own points. Costs are in flat T1 estimates per query, as in the calibration; scoring the allowed
/// points directly is chosen below one point in <see cref="Filters.FilterPlanner.DirectScoringRatio"/> (the flat path's
/// own rule). The traversal is chosen only at a fraction the calibration's filtered trials vouch for
/// (<see cref="GraphCalibration.Filtered"/>: the broadest measured fraction at or below it held the recall floor, and
/// every broader one did), and only where its cost is below the flat cascade's under the same filter; both costs and
/// the beam width (rounded up) are interpolated linearly in 1/fraction between the trial and the next broader measured
/// point (the unfiltered calibration at fraction 1, with its timed cost <see cref="GraphCalibration.TimedGraphCost"/>).
/// A filter that allows every live point is no filter: the unfiltered traversal at the calibrated width (a
/// collection's search does not even come here, see <see cref="AllowedSet"/>).
/// </summary>
internal static class GraphPlanner
{
    /// <summary>The plan for a query whose filter allows <paramref name="allowed"/> of <paramref name="live"/> points.</summary>
    public static GraphSearchPlan Choose(long allowed, long live, GraphCalibration calibration) => Choose(allowed, live, calibration, out _);

    /// <summary>
    /// The plan for a query whose filter allows <paramref name="allowed"/> of <paramref name="live"/> points, and, for
    /// <see cref="GraphSearchPlan.Graph"/>, the beam width the calibration measured for it (0 otherwise).
    /// </summary>
    public static GraphSearchPlan Choose(long allowed, long live, GraphCalibration calibration, out int ef)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentOutOfRangeException.ThrowIfNegative(allowed);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(allowed, live);
        ef = 0;
        if (allowed * Filters.FilterPlanner.DirectScoringRatio < live) return GraphSearchPlan.ScoreAllowed;
        if (allowed == live)
        {
            if (calibration.Path != GraphPath.Graph) return GraphSearchPlan.Flat;
            ef = calibration.Ef;
            return GraphSearchPlan.Graph;
        }
        double fraction = allowed / (double)live;
        // The broadest trial at or below the fraction vouches for it when it and every broader one held; both paths'
        // costs and the width are interpolated linearly in 1/fraction from the next broader measured point (the
        // unfiltered calibration at 1): recall at one width is not monotone in the fraction (a narrow filter strands
        // the traversal, a broad one's beam of allowed nodes spans more of the graph than an unfiltered beam).
        var upper = new FilteredTrial(1, calibration.Ef, calibration.Recall, calibration.TimedGraphCost, calibration.FlatCost);
        foreach (var trial in calibration.Filtered)
        {
            if (!trial.Holds) break;
            if (trial.Fraction <= fraction)
            {
                double t = Math.Min(1, (1 / fraction - 1 / upper.Fraction) / (1 / trial.Fraction - 1 / upper.Fraction));
                double graphCost = upper.Cost + t * (trial.Cost - upper.Cost), flatCost = upper.FlatCost + t * (trial.FlatCost - upper.FlatCost);
                if (graphCost >= flatCost) break;
                ef = (int)Math.Ceiling(upper.Ef + t * (trial.Ef - upper.Ef));
                return GraphSearchPlan.Graph;
            }
            upper = trial;
        }
        return GraphSearchPlan.Flat;
    }
}
