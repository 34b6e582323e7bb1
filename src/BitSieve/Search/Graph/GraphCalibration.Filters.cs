using BitSieve.Quantization;

namespace BitSieve.Search.Graph;

/// <summary>
/// The filtered traversal measured by a calibration at one allowed fraction: a seeded random allowed set of that
/// fraction of the points, the calibration's own sample as queries, the flat cascade over the allowed set as the truth.
/// Both costs are in flat T1 estimates per query, the unit of <see cref="GraphCalibration.FlatCost"/>, as the calibration
/// timed them on the sample: the live points × the path's time under the filter over the unfiltered flat cascade's
/// (<see cref="GraphCalibration.TimedGraphCost"/> is the traversal's at fraction 1). A filter
/// changes both paths' work in ways no count prices: the flat cascade's k-th lower bound among the allowed points is
/// lower, so more vectors pass its T1 bound; the traversal estimates disallowed neighbours too, crosses the close ones
/// (an adjacency row each) and reaches more nodes before its beam settles.
/// </summary>
/// <param name="Fraction">The allowed fraction.</param>
/// <param name="Ef">The smallest beam width whose recall, less its margin, met the floor; 0 when none did. It may be
/// narrower than the unfiltered one: a beam of allowed nodes under a broad filter spans more of the graph than a beam of
/// as many nodes without one. Whether the traversal is the cheaper path there is the planner's comparison of the costs.</param>
/// <param name="Recall">The sample's recall@k at <paramref name="Ef"/> (at the widest width when none held).</param>
/// <param name="Cost">The traversal per query at that width: the live points × its time over the unfiltered flat
/// cascade's.</param>
/// <param name="FlatCost">The flat cascade over the allowed set per query: the live points × its time over the
/// unfiltered flat cascade's.</param>
internal readonly record struct FilteredTrial(double Fraction, int Ef, double Recall, double Cost, double FlatCost)
{
    /// <summary>Whether a beam width held the recall floor at this fraction.</summary>
    public bool Holds => Ef > 0;
}

internal sealed partial record GraphCalibration
{
    /// <summary>
    /// The filtered traversal at each of <see cref="GraphCalibrationOptions.FilterFractions"/>, broadest first, measured
    /// when a beam width held the floor unfiltered (whether or not the graph was the cheaper path there), and stopped at
    /// the first fraction no width holds (a narrower filter is harder): what <see cref="GraphPlanner"/> reads instead
    /// of guessing. Empty: no filtered traversal is trusted.
    /// </summary>
    public IReadOnlyList<FilteredTrial> Filtered { get; init; } = [];

    /// <summary>
    /// Per filtered fraction (broadest first): the filtered flat cascade on the sample (the truth, and its cost), then
    /// beam widths from the narrowest up, each on the sample with the same seeded random allowed set, the query's own
    /// point absent from both answers as in the unfiltered trial, and decided as the unfiltered widths are (on the first
    /// points, or on the whole sample when those cannot decide: <see cref="TrialSample"/>); the first width that holds
    /// the floor is the fraction's, with its cost (the planner compares it with the flat cascade's, here and
    /// interpolated between fractions). A fraction where no width does ends the list. Costs are <paramref name="live"/>
    /// × the time per query over <paramref name="flatTicks"/>, the unfiltered flat cascade's on the same first points; a
    /// fraction's two paths are timed twice and keep their faster pass.
    /// </summary>
    private static List<FilteredTrial> MeasureFilters(GraphIndex graph, Quality quality, GraphCalibrationOptions options, int[] sample, EncodedQuery[] queries,
        double floor, long live, double flatTicks)
    {
        var trials = new List<FilteredTrial>(options.FilterFractions.Count);
        for (int f = 0; f < options.FilterFractions.Count; f++)
        {
            double fraction = options.FilterFractions[f];
            var random = new Random(options.Seed + 1 + f);
            var allowed = new ulong[(graph.Count + 63) >> 6];
            for (int ord = 0; ord < graph.Count; ord++)
                if (random.NextDouble() < fraction) allowed[ord >> 6] |= 1UL << (ord & 63);
            var filtered = new TrialSample(graph, quality, options, sample, queries, allowed);
            double flatCost = live * filtered.FlatTicks / Math.Max(1, flatTicks);
            var trial = new FilteredTrial(fraction, 0, 0, double.PositiveInfinity, flatCost);
            foreach (int effort in options.Efforts)
            {
                var width = filtered.Try(effort, floor);
                trial = new FilteredTrial(fraction, width.Holds ? effort : 0, width.Recall, live * width.Ticks / Math.Max(1, flatTicks), flatCost);
                if (!width.Holds) continue;
                // Both paths timed once more, each keeping its faster pass: load on the machine only ever adds time, and
                // one disturbed pass (a 31 % slower flat cascade at 10 % in one kdocs run) would otherwise decide the plan.
                double graphTicks = Math.Min(width.Ticks, filtered.TimeWidth(effort)), flatTicks2 = Math.Min(filtered.FlatTicks, filtered.TimeFlat());
                trial = trial with { Cost = live * graphTicks / Math.Max(1, flatTicks), FlatCost = live * flatTicks2 / Math.Max(1, flatTicks) };
                break;
            }
            trials.Add(trial);
            if (!trial.Holds) break;
        }
        return trials;
    }
}
