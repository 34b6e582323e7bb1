using System.Globalization;
using BitSieve.Cli.Bench;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace BitSieve.Cli.Plots;

/// <summary>
/// <c>bitsieve bench --plot</c>: recall@k against queries per second (log scale) for every method of a run — exact
/// float32, fixed oversampling at each m, the cascade at each recall target, the graph at each beam width when the run
/// has one — as PNG or SVG, drawn with ScottPlot.
/// </summary>
internal static class BenchPlot
{
    /// <summary>The figure's size in pixels.</summary>
    public const int Width = 1000, Height = 640;

    /// <summary>The image format a path asks for by its extension, or null when it is neither .png nor .svg.</summary>
    public static string? FormatOf(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".PNG" => "png",
        ".SVG" => "svg",
        _ => null,
    };

    /// <summary>Draws <paramref name="report"/> into <paramref name="path"/> (PNG or SVG by its extension).</summary>
    public static void Save(BenchReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        var culture = CultureInfo.InvariantCulture;
        plot.Title(string.Create(culture, $"Recall@{report.K} against QPS: {report.N:N0} × {report.Dim}, {report.Queries:N0} queries, {report.Threads} thread(s), {report.Bits}-bit codes"));
        plot.XLabel("queries per second (log scale)");
        plot.YLabel(string.Create(culture, $"recall@{report.K}"));

        var fixedPoints = report.Fixed.Select(f => (f.Qps, f.Recall, string.Create(culture, $"m={f.Oversampling}"))).ToList();
        Series(plot, "fixed oversampling (m = 1…64)", Colors.DarkOrange, MarkerShape.FilledSquare, fixedPoints, labels: true);

        var cascade = report.CascadeSweep.Count > 0
            ? report.CascadeSweep.Select(c => (c.Qps, c.Recall, $"q={c.Quality}")).ToList()
            : [(report.Cascade.Qps, report.Cascade.Recall, $"q={report.Quality}")];
        Series(plot, "cascade (per recall target)", Colors.RoyalBlue, MarkerShape.FilledCircle, cascade, labels: true);

        if (report.Graph is { } graph)
        {
            var sweep = graph.Sweep.Select(g => (g.Qps, g.Recall, string.Create(culture, $"ef={g.Ef}"))).ToList();
            Series(plot, "graph (per beam width ef)", Colors.MediumVioletRed, MarkerShape.FilledTriangleUp, sweep, labels: false);
        }

        Series(plot, "exact float32", Colors.Black, MarkerShape.FilledDiamond, [(report.Exact.Qps, report.Exact.Recall, "exact")], labels: false);

        plot.Axes.Bottom.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = log => Math.Pow(10, log).ToString("N0", culture),
        };
        plot.ShowLegend(Alignment.LowerRight);

        switch (FormatOf(path))
        {
            case "png":
                plot.SavePng(path, Width, Height);
                break;
            case "svg":
                plot.SaveSvg(path, Width, Height);
                break;
            default:
                throw new UsageException($"--plot: '{path}' must end in .png or .svg.");
        }
    }

    /// <summary>
    /// One method's points on a log10 QPS axis, joined in the order of the method's own knob (m, the recall target, ef),
    /// so the line is the method's trade-off curve and a noisy timing shows as a step back, not as a reordered curve.
    /// </summary>
    private static void Series(Plot plot, string name, Color color, MarkerShape marker, IReadOnlyList<(double Qps, double Recall, string Label)> points, bool labels)
    {
        var drawn = points.Where(p => p.Qps > 0).ToList();
        if (drawn.Count == 0) return;
        var scatter = plot.Add.Scatter(drawn.Select(p => Math.Log10(p.Qps)).ToArray(), drawn.Select(p => p.Recall).ToArray(), color);
        scatter.LegendText = name;
        scatter.MarkerShape = marker;
        scatter.MarkerSize = 8;
        scatter.LineWidth = 2;
        if (!labels) return;
        // Labels alternate above and below their points, so that neighbours close in QPS stay readable.
        for (int i = 0; i < drawn.Count; i++)
        {
            var text = plot.Add.Text(drawn[i].Label, Math.Log10(drawn[i].Qps), drawn[i].Recall);
            text.LabelFontSize = 11;
            text.LabelFontColor = color;
            text.LabelOffsetX = 4;
            text.LabelOffsetY = i % 2 == 0 ? -18 : 4;
        }
    }
}
