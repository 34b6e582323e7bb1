using BitSieve.Quantization;

namespace BitSieve.Search.Graph;

/// <summary>
/// The filtered traversal measured by a calibration at one allowed fraction: a seeded random allowed set of that
/// fraction of the points, the calibration's own sample as queries, the flat cascade over the allowed set as the truth.
/// </summary>
/// <param name="Fraction">The allowed fraction.</param>
/// <param name="Ef">The smallest beam width (from the unfiltered one up) whose recall, less its margin, met the floor;
/// 0 when none did at a cost below the flat cascade's.</param>
/// <param name="Recall">The sample's recall@k at <paramref name="Ef"/> (at the last width tried when none held).</param>
/// <param name="Cost">Per query at that width: visited nodes (crossed ones included) × the visit cost, in flat T1 estimates.</param>
internal readonly record struct FilteredTrial(double Fraction, int Ef, double Recall, double Cost)
{
    /// <summary>Whether a beam width held the floor at this fraction.</summary>
    public bool Holds => Ef > 0;
}

internal sealed partial record GraphCalibration
{
    /// <summary>
    /// The filtered traversal at each of <see cref="GraphCalibrationOptions.FilterFractions"/>, broadest first, measured
    /// only when the graph path was chosen, and stopped at the first fraction no width holds (a narrower filter is
    /// harder): what <see cref="GraphPlanner"/> reads instead of guessing. Empty: no filtered traversal is trusted.
    /// </summary>
    public IReadOnlyList<FilteredTrial> Filtered { get; init; } = [];

    /// <summary>
    /// Per filtered fraction (broadest first): beam widths from the unfiltered <paramref name="ef"/> up, each on the
    /// whole sample with a seeded random allowed set, the query's own point absent from both answers as in the
    /// unfiltered trial; the first width whose recall less its margin meets the floor is the fraction's. A fraction where
    /// none does (or where the traversal already costs more than the flat scan) ends the list.
    /// </summary>
    private static List<FilteredTrial> MeasureFilters(GraphIndex graph, Quality quality, GraphCalibrationOptions options, int[] sample, EncodedQuery[] queries,
        int ef, double floor, long live)
    {
        var columns = graph.Columns;
        int k = options.K;
        var trials = new List<FilteredTrial>(options.FilterFractions.Count);
        for (int f = 0; f < options.FilterFractions.Count; f++)
        {
            double fraction = options.FilterFractions[f];
            var random = new Random(options.Seed + 1 + f);
            var allowed = new ulong[(graph.Count + 63) >> 6];
            for (int ord = 0; ord < graph.Count; ord++)
                if (random.NextDouble() < fraction) allowed[ord >> 6] |= 1UL << (ord & 63);
            var truth = new int[sample.Length][];
            for (int i = 0; i < sample.Length; i++)
            {
                var cascade = new Cascade(columns, graph.Quantizer, queries[i], k + 1, quality, allowed);
                var state = new T1State(k + 1);
                cascade.ScanT1(0, columns.Count, state);
                truth[i] = Others(cascade.Finish([state]), sample[i], k);
            }
            var trial = new FilteredTrial(fraction, 0, 0, double.PositiveInfinity);
            foreach (int effort in options.Efforts)
            {
                if (effort < ef) continue;
                var (recall, cost) = Trial(graph, quality, options, sample, queries, truth, effort, allowed);
                double margin = Margin(recall, truth);
                trial = new FilteredTrial(fraction, recall - margin >= floor && cost < live ? effort : 0, recall, cost);
                if (trial.Holds || cost >= live) break;
            }
            trials.Add(trial);
            if (!trial.Holds) break;
        }
        return trials;
    }
}
