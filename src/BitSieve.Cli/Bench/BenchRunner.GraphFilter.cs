using System.Globalization;
using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve.Cli.Bench;

internal static partial class BenchRunner
{
    // Filtered search at each --filter-selectivity: a seeded random allowed set of about that fraction of the points,
    // its own exact truth (every allowed point scored in float32), and the three paths one query per call: direct
    // scoring, the flat cascade over the allowed set (VectorIndex.Search, which itself scores directly below one point in
    // 32) and the filtered traversal at the beam width the planner gives it (the one the calibration measured for the
    // fraction), else at the calibrated unfiltered width (or, when calibration chose flat, at the smallest swept width
    // that met the floor unfiltered, else the widest). Every path reads the allowed set as a collection's search
    // does: one AllowedSet per filter, its bitmap made in the warm-up pass and read by the timed ones (a collection keeps
    // it with the cached filter), and a set that allows every point searched as no filter at all.
    private static List<GraphFilterResult> MeasureGraphFilters(BenchSettings settings, VectorIndex collection, GraphIndex graph, GraphCalibration calibration,
        IReadOnlyList<GraphMethodResult> sweep, float[] queryData, int queryCount, TextWriter log, CancellationToken cancellationToken)
    {
        int k = settings.K, dim = collection.Dimension, n = graph.Count;
        int ef = Math.Max(k, calibration.Ef > 0 ? calibration.Ef : (sweep.FirstOrDefault(p => p.Recall >= calibration.Floor) ?? sweep[^1]).Ef);
        var rows = new List<GraphFilterResult>(settings.FilterSelectivities.Count);
        for (int s = 0; s < settings.FilterSelectivities.Count; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double fraction = settings.FilterSelectivities[s];
            var random = new Random(FilterSeed + s);
            var keys = Enumerable.Range(0, n).Where(_ => fraction >= 1 || random.NextDouble() < fraction).Select(r => (ulong)r).ToArray();
            var filter = new AllowedSet(keys, rejected: false);
            var plan = GraphPlanner.Choose(keys.Length, collection.Count, calibration, out int planned);
            int rowEf = Math.Max(k, planned > 0 ? planned : ef);
            var exactOptions = new SearchOptions { K = k, Exhaustive = true };
            var flatOptions = new SearchOptions { K = k, Quality = settings.Quality };
            var truth = new int[queryCount][];
            for (int i = 0; i < queryCount; i++)
                truth[i] = collection.Search(queryData.AsSpan(i * dim, dim), exactOptions, filter).Hits.Select(h => (int)h.Id).ToArray();
            string label = string.Create(CultureInfo.InvariantCulture, $"filter {fraction}");
            var direct = MeasureSingle(log, $"{label} direct", queryCount, i => collection.Search(queryData.AsSpan(i * dim, dim), exactOptions, filter), out double directQps);
            var flat = MeasureSingle(log, $"{label} flat", queryCount, i => collection.Search(queryData.AsSpan(i * dim, dim), flatOptions, filter), out double flatQps);
            var traces = new GraphTrace[queryCount];
            var traversal = MeasureSingle(log, $"{label} graph ef={rowEf}", queryCount, i =>
            {
                var found = collection.SearchGraph(graph, queryData.AsSpan(i * dim, dim), k, rowEf, settings.Quality, filter);
                traces[i] = found.Graph;
                return found.Result;
            }, out double graphQps);
            rows.Add(new GraphFilterResult(fraction, keys.Length, plan,
                Recall(ToIds(direct), truth, k), directQps, Recall(ToIds(flat), truth, k), flatQps, rowEf, Recall(ToIds(traversal), truth, k), graphQps,
                traces.Average(t => (double)t.Visited), traces.Average(t => (double)t.Estimates)));
        }
        return rows;
    }

    /// <summary>Seeds the allowed set of the first selectivity (the next ones add their index).</summary>
    private const int FilterSeed = 1234;
}
