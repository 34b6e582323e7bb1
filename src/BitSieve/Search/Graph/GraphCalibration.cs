using System.Diagnostics;
using static System.FormattableString;
using BitSieve.Quantization;

namespace BitSieve.Search.Graph;

/// <summary>Which search answers a collection's queries at a quality target.</summary>
internal enum GraphPath
{
    /// <summary>The graph traversal at the calibrated beam width.</summary>
    Graph,

    /// <summary>The flat cascade (every T1 code): the graph cannot hold the recall floor, or not more cheaply.</summary>
    Flat,
}

/// <summary>How a calibration samples and which beam widths it tries.</summary>
internal sealed record GraphCalibrationOptions
{
    /// <summary>Stored points every beam width is first tried on (fewer when the collection holds fewer live points).</summary>
    public int Queries { get; init; } = 200;

    /// <summary>
    /// The most stored points a beam width is tried on. A width whose recall on the first <see cref="Queries"/> points is
    /// within their sampling margin of the floor (neither clearly above it nor clearly below) is decided on this many,
    /// whose margin is √(MaxQueries / Queries) times narrower; widths clearly below the floor are rejected on the first.
    /// </summary>
    public int MaxQueries { get; init; } = 1000;

    /// <summary>Results per query; recall is measured at this k.</summary>
    public int K { get; init; } = 10;

    /// <summary>Seeds the choice of the sample.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The beam widths tried, in increasing order; the first that meets the floor is chosen.</summary>
    public IReadOnlyList<int> Efforts { get; init; } = [16, 24, 32, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512];

    /// <summary>
    /// What one graph visit costs in units of one flat T1 estimate. A visit is a scattered node row, an adjacency row
    /// and, for the nodes expanded, a T2 row; the flat scan reads its codes in FastScan blocks. Measured on kdocs
    /// (172,451 × 384, one thread, quiet machine, <c>bitsieve bench --index graph</c>): 112 ns per visit at ef 256
    /// (102 at ef 128) against 2.82 ns per vector of the flat cascade, so 40. The per-query work both paths share
    /// (encoding the query, settling at T2 and T3) is left out of both sides. On docs-minilm (13,717 points) the flat
    /// scan's fixed part per query weighs more and the ratio measured there was 18: the weight errs towards the flat
    /// path on small collections, where the flat cascade is fast anyway.
    /// </summary>
    public double VisitCost { get; init; } = 40;

    /// <summary>
    /// The allowed fractions at which a calibration that chose the graph measures the filtered traversal
    /// (<see cref="GraphCalibration.Filtered"/>), broadest first. The narrowest is just above the fraction below which
    /// the allowed points are scored directly (1 in 32, <see cref="Filters.FilterPlanner.DirectScoringRatio"/>).
    /// </summary>
    public IReadOnlyList<double> FilterFractions { get; init; } = [0.5, 0.2, 0.1, 0.05];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values outside their ranges.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Queries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueries, Queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(K, 1);
        ArgumentNullException.ThrowIfNull(Efforts);
        if (Efforts.Count == 0) throw new ArgumentOutOfRangeException(nameof(Efforts), "At least one beam width is needed.");
        for (int i = 0; i < Efforts.Count; i++)
            if (Efforts[i] < 1 || (i > 0 && Efforts[i] <= Efforts[i - 1]))
                throw new ArgumentOutOfRangeException(nameof(Efforts), "Beam widths must be positive and increasing.");
        if (!(VisitCost > 0)) throw new ArgumentOutOfRangeException(nameof(VisitCost), VisitCost, "A visit must cost something.");
        ArgumentNullException.ThrowIfNull(FilterFractions);
        for (int i = 0; i < FilterFractions.Count; i++)
            if (!(FilterFractions[i] is > 0 and < 1) || (i > 0 && FilterFractions[i] >= FilterFractions[i - 1]))
                throw new ArgumentOutOfRangeException(nameof(FilterFractions), "Filter fractions must lie in (0, 1) and decrease.");
    }
}

/// <summary>
/// The effort a quality target needs on one graph, measured on the collection's own points: a seeded sample of stored
/// vectors is searched as queries, the flat cascade's answers (each query's own point left out) are the truth, and
/// the traversal treats the query's own node as absent (a stored point's adjacency list leads straight to its nearest
/// neighbours, a shortcut no query from outside the collection has: with it, the sample's recall overstated the
/// recall of real queries, and a calibrated beam width fell short of the floor on kdocs' held-out questions), and
/// beam widths are tried in increasing order until the sample's recall@k, less its one-sided 95 % sampling margin,
/// reaches the floor; a width the first <see cref="GraphCalibrationOptions.Queries"/> points cannot decide (the floor
/// within their margin of the recall) is decided on <see cref="GraphCalibrationOptions.MaxQueries"/>. The graph is chosen when that beam width costs less than the flat cascade
/// (<see cref="GraphCost"/> against <see cref="FlatCost"/>, in flat T1 estimates per query); otherwise the flat
/// cascade answers. The quality target maps to the floor as <see cref="FloorOf"/> says.
/// </summary>
/// <param name="Path">The search that answers at this quality: the graph when it met the floor at a cost below the flat cascade's.</param>
/// <param name="Ef">The smallest beam width whose sample recall met the floor; 0 when none of the tried widths did.</param>
/// <param name="Floor">The recall floor the quality target asks for.</param>
/// <param name="Recall">The sample's recall@k at <paramref name="Ef"/> (at the last width tried when none met the floor).</param>
/// <param name="GraphCost">Per query at that width: visited nodes × <see cref="GraphCalibrationOptions.VisitCost"/>.</param>
/// <param name="FlatCost">Per query: the live points the flat cascade estimates.</param>
/// <param name="Queries">The sample size the result was decided on.</param>
/// <param name="Nodes">The graph's nodes when calibrated: calibrate again when the collection has grown well beyond it.</param>
internal sealed partial record GraphCalibration(GraphPath Path, int Ef, double Floor, double Recall, double GraphCost, double FlatCost, int Queries, int Nodes)
{
    /// <summary>
    /// The recall floor of a quality target: its recall target (0.995 by default). <see cref="Quality.Exact"/> has
    /// floor 1: only the flat certification proves it, so it always takes the flat path.
    /// </summary>
    public static double FloorOf(Quality quality) => quality.IsExact ? 1.0 : quality.RecallTarget;

    /// <summary>
    /// The calibrated width's traversal per query as timed on the sample, in the unit of the filtered trials: the live
    /// points × its time over the unfiltered flat cascade's on the same points (∞ when no width held). The unfiltered
    /// choice keeps the visit model (<see cref="GraphCost"/>); filtered choices compare times, at fraction 1 this one.
    /// </summary>
    public double TimedGraphCost { get; init; } = double.PositiveInfinity;

    /// <summary>Why <see cref="Path"/> was chosen, in a few words (collection info shows it).</summary>
    public string Reason => this switch
    {
        { Path: GraphPath.Graph } => Invariant($"calibrated: beam width {Ef} holds recall {Floor} (sample {Recall:F3} over {Queries} points)"),
        { Floor: >= 1 } => "calibrated: exact quality is certified by the flat cascade only",
        { Queries: 0 } => "calibrated: no live points",
        _ when GraphCost >= FlatCost => Invariant($"calibrated: the flat cascade is cheaper ({GraphCost:F0} against {FlatCost:F0} estimates per query)"),
        _ => Invariant($"calibrated: no beam width holds recall {Floor} (sample {Recall:F3} over {Queries} points)"),
    };

    /// <summary>Calibrates <paramref name="graph"/> for <paramref name="quality"/> (see the type's summary).</summary>
    public static GraphCalibration Run(GraphIndex graph, Quality quality, GraphCalibrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options ??= new GraphCalibrationOptions();
        options.Validate();
        var columns = graph.Columns;
        double floor = FloorOf(quality);
        var sample = Sample(graph, options);
        long live = graph.Count - graph.Deleted;
        if (quality.IsExact || sample.Length == 0)
            return new GraphCalibration(GraphPath.Flat, 0, floor, 0, double.PositiveInfinity, live, sample.Length, graph.Count);

        int k = options.K;
        var queries = new EncodedQuery[sample.Length];
        for (int i = 0; i < sample.Length; i++) queries[i] = graph.Quantizer.Prepare(columns.Originals.Row(sample[i]));
        var trials = new TrialSample(graph, quality, options, sample, queries, allowed: null);
        var width = default(WidthTrial);
        foreach (int effort in options.Efforts)
        {
            int ef = Math.Max(effort, k + 1);
            width = trials.Try(ef, floor);
            if (width.Holds)
            {
                // Measured whichever path answers unfiltered: a filter slows the flat cascade too, so a graph that holds
                // the floor but costs more than the unfiltered scan may still be the cheaper path under one.
                double timed = live * width.Ticks / Math.Max(1, trials.FlatTicks);
                return new GraphCalibration(width.Cost < live ? GraphPath.Graph : GraphPath.Flat, ef, floor, width.Recall, width.Cost, live, width.Queries, graph.Count)
                {
                    TimedGraphCost = timed,
                    Filtered = MeasureFilters(graph, quality, options, sample, queries, floor, live, trials.FlatTicks),
                };
            }
            // The graph already costs more than scanning everything: a wider beam only costs more.
            if (width.Cost >= live) break;
        }
        return new GraphCalibration(GraphPath.Flat, 0, floor, width.Recall, width.Cost, live, width.Queries, graph.Count);
    }

    /// <summary>One beam width tried on a <see cref="TrialSample"/>.</summary>
    /// <param name="Recall">The sample's recall@k.</param>
    /// <param name="Cost">Per query: visited nodes × <see cref="GraphCalibrationOptions.VisitCost"/>.</param>
    /// <param name="Ticks">Per query: the stopwatch ticks the searches took.</param>
    /// <param name="Queries">The stored points it was decided on.</param>
    /// <param name="Holds">Whether the recall less its sampling margin met the floor.</param>
    private readonly record struct WidthTrial(double Recall, double Cost, double Ticks, int Queries, bool Holds);

    /// <summary>
    /// The sample searched as queries under one allowed set (or none): every width is tried on the first
    /// <see cref="GraphCalibrationOptions.Queries"/> points, whose flat truth is found up front; a width those cannot
    /// decide (the floor within their sampling margin of its recall) is tried on the whole sample, whose remaining truth
    /// is found the first time one is needed. Widths clearly below the floor are rejected on the first points.
    /// </summary>
    private sealed class TrialSample
    {
        private readonly GraphIndex _graph;
        private readonly Quality _quality;
        private readonly GraphCalibrationOptions _options;
        private readonly int[] _sample;
        private readonly EncodedQuery[] _queries;
        private readonly ulong[]? _allowed;
        private readonly int _first;
        private readonly int[][] _firstTruth;
        private int[][]? _allTruth;

        public TrialSample(GraphIndex graph, Quality quality, GraphCalibrationOptions options, int[] sample, EncodedQuery[] queries, ulong[]? allowed)
        {
            (_graph, _quality, _options, _sample, _queries, _allowed) = (graph, quality, options, sample, queries, allowed);
            _first = Math.Min(options.Queries, sample.Length);
            (_firstTruth, FlatTicks) = FlatTruth(graph, quality, options, sample[.._first], queries[.._first], allowed);
        }

        /// <summary>Per query: the stopwatch ticks the flat cascade took on the first points.</summary>
        public double FlatTicks { get; }

        /// <summary>The flat cascade timed again on the first points: ticks per query.</summary>
        public double TimeFlat() => FlatTruth(_graph, _quality, _options, _sample[.._first], _queries[.._first], _allowed).Ticks;

        /// <summary>Beam width <paramref name="ef"/> timed again on the first points: ticks per query.</summary>
        public double TimeWidth(int ef) => Trial(_graph, _quality, _options, _sample[.._first], _queries[.._first], _firstTruth, ef, _allowed).Ticks;

        /// <summary>Beam width <paramref name="ef"/> against <paramref name="floor"/>.</summary>
        public WidthTrial Try(int ef, double floor)
        {
            var (recall, cost, ticks) = Trial(_graph, _quality, _options, _sample[.._first], _queries[.._first], _firstTruth, ef, _allowed);
            double margin = Margin(recall, _firstTruth);
            if (recall - margin >= floor || recall + margin < floor || _sample.Length == _first)
                return new WidthTrial(recall, cost, ticks, _first, recall - margin >= floor);
            _allTruth ??= [.. _firstTruth, .. FlatTruth(_graph, _quality, _options, _sample[_first..], _queries[_first..], _allowed).Truth];
            (recall, cost, ticks) = Trial(_graph, _quality, _options, _sample, _queries, _allTruth, ef, _allowed);
            return new WidthTrial(recall, cost, ticks, _sample.Length, recall - Margin(recall, _allTruth) >= floor);
        }
    }

    /// <summary>
    /// The flat cascade's answers to the sample (under a filter when <paramref name="allowed"/> is given), each query's
    /// own point left out, and the time they took per query (stopwatch ticks, the queries' encoding left out).
    /// </summary>
    private static (int[][] Truth, double Ticks) FlatTruth(GraphIndex graph, Quality quality, GraphCalibrationOptions options, int[] sample, EncodedQuery[] queries,
        ulong[]? allowed)
    {
        int k = options.K;
        var truth = new int[sample.Length][];
        long ticks = 0;
        for (int i = 0; i < sample.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            // One more than k: the query's own point is found too, and left out of both answers.
            var cascade = new Cascade(graph.Columns, graph.Quantizer, queries[i], k + 1, quality, allowed);
            var state = new T1State(k + 1);
            cascade.ScanT1(0, graph.Columns.Count, state);
            var result = cascade.Finish([state]);
            ticks += Stopwatch.GetTimestamp() - t0;
            truth[i] = Others(result, sample[i], k);
        }
        return (truth, ticks / (double)Math.Max(1, sample.Length));
    }

    /// <summary>
    /// The sample searched through the graph at beam width <paramref name="ef"/> (under a filter when
    /// <paramref name="allowed"/> is given), each query's own node absent: recall@k against <paramref name="truth"/>,
    /// the cost per query in flat T1 estimates (visited nodes × <see cref="GraphCalibrationOptions.VisitCost"/>) and the
    /// time the searches took per query (stopwatch ticks).
    /// </summary>
    private static (double Recall, double Cost, double Ticks) Trial(GraphIndex graph, Quality quality, GraphCalibrationOptions options, int[] sample,
        EncodedQuery[] queries, int[][] truth, int ef, ulong[]? allowed)
    {
        int k = options.K;
        ef = Math.Max(ef, k + 1);
        long found = 0, expected = 0, visited = 0, ticks = 0;
        for (int i = 0; i < sample.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            var cascade = new Cascade(graph.Columns, graph.Quantizer, queries[i], k + 1, quality, allowed);
            var result = graph.Search(cascade, queries[i], k + 1, ef, absent: sample[i]);
            ticks += Stopwatch.GetTimestamp() - t0;
            visited += result.Graph.Visited;
            var answer = Others(result.Result, sample[i], k);
            foreach (int ord in truth[i])
                if (Array.IndexOf(answer, ord) >= 0) found++;
            expected += truth[i].Length;
        }
        return (expected == 0 ? 1 : found / (double)expected, options.VisitCost * visited / sample.Length, ticks / (double)sample.Length);
    }

    /// <summary>The one-sided 95 % sampling margin of a recall measured over the answers of <paramref name="truth"/>.</summary>
    private static double Margin(double recall, int[][] truth)
    {
        long expected = 0;
        foreach (var row in truth) expected += row.Length;
        return 1.645 * Math.Sqrt(recall * (1 - recall) / Math.Max(1, expected));
    }

    /// <summary>The seeded sample: distinct live ordinals, in random order.</summary>
    private static int[] Sample(GraphIndex graph, GraphCalibrationOptions options)
    {
        var columns = graph.Columns;
        var ordinals = new List<int>(graph.Count - graph.Deleted);
        for (int ord = 0; ord < graph.Count; ord++)
            if (columns.DeletedCount == 0 || !columns.IsDeleted(ord)) ordinals.Add(ord);
        var all = ordinals.ToArray();
        new Random(options.Seed).Shuffle(all);
        return all[..Math.Min(options.MaxQueries, all.Length)];
    }

    /// <summary>The ordinals of an answer other than the query's own point, at most k of them.</summary>
    private static int[] Others(SearchResult result, int self, int k)
    {
        var others = new List<int>(k);
        foreach (var hit in result.Hits)
            if (hit.Ordinal != self && others.Count < k) others.Add(hit.Ordinal);
        return [.. others];
    }
}
