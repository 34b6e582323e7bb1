using BitSieve.Search.Graph;

namespace BitSieve.Cli.Bench;

/// <summary>The graph searched at one beam width, one query per call.</summary>
/// <param name="Ef">The beam width.</param>
/// <param name="Recall">Mean recall@k against the ground truth.</param>
/// <param name="Qps">Queries per second (the protocol of <see cref="MethodResult.Qps"/>).</param>
/// <param name="T1PerQuery">T1 estimates per query (steering and settling).</param>
/// <param name="T2PerQuery">T2 refinements per query (steering and settling).</param>
/// <param name="T3PerQuery">Float32 originals read per query.</param>
/// <param name="VisitedPerQuery">Distinct nodes reached per query.</param>
/// <param name="HopsPerQuery">Nodes expanded (adjacency read) per query.</param>
internal sealed record GraphMethodResult(int Ef, double Recall, double Qps, double T1PerQuery, double T2PerQuery, double T3PerQuery, double VisitedPerQuery, double HopsPerQuery);

/// <summary>Filtered search at one allowed fraction (<c>--filter-selectivity</c>): each path's recall against the exact filtered top k and its QPS.</summary>
/// <param name="Selectivity">The fraction asked for.</param>
/// <param name="Allowed">Points in the seeded random allowed set.</param>
/// <param name="Plan">What <see cref="GraphPlanner"/> chooses for it.</param>
/// <param name="DirectRecall">Direct scoring (every allowed point in float32): recall.</param>
/// <param name="DirectQps">Its QPS.</param>
/// <param name="FlatRecall">The flat cascade over the allowed set: recall.</param>
/// <param name="FlatQps">Its QPS.</param>
/// <param name="Ef">The filtered traversal's beam width.</param>
/// <param name="GraphRecall">The filtered traversal: recall.</param>
/// <param name="GraphQps">Its QPS.</param>
/// <param name="GraphVisitedPerQuery">Nodes the traversal reached per query (estimated, crossed and the entry).</param>
/// <param name="GraphEstimatesPerQuery">T1 estimates per query while steering (every node reached, disallowed ones included).</param>
internal sealed record GraphFilterResult(double Selectivity, int Allowed, GraphSearchPlan Plan, double DirectRecall, double DirectQps, double FlatRecall, double FlatQps,
    int Ef, double GraphRecall, double GraphQps, double GraphVisitedPerQuery, double GraphEstimatesPerQuery)
{
    /// <summary>The recall of the path <see cref="Plan"/> chose.</summary>
    public double PlannedRecall => Plan switch { GraphSearchPlan.ScoreAllowed => DirectRecall, GraphSearchPlan.Graph => GraphRecall, _ => FlatRecall };

    /// <summary>The QPS of the path <see cref="Plan"/> chose.</summary>
    public double PlannedQps => Plan switch { GraphSearchPlan.ScoreAllowed => DirectQps, GraphSearchPlan.Graph => GraphQps, _ => FlatQps };

    /// <summary>The planned path's QPS over the flat cascade's, both measured in the same run.</summary>
    public double PlannedSpeedup => FlatQps > 0 ? PlannedQps / FlatQps : 0;
}

/// <summary>The graph index of one bench run (<c>--index graph</c>).</summary>
internal sealed record GraphReport
{
    /// <summary>Seconds to build the graph over the collection (the collection's own build is not included).</summary>
    public required double BuildSeconds { get; init; }

    /// <summary>Threads that built it.</summary>
    public required int BuildThreads { get; init; }

    /// <summary>R: the most neighbours per node.</summary>
    public required int MaxDegree { get; init; }

    /// <summary>L: the build's search beam.</summary>
    public required int BuildBeam { get; init; }

    /// <summary>α of the neighbour pruning.</summary>
    public required float Alpha { get; init; }

    /// <summary>Bytes per vector the graph adds (node row + adjacency row).</summary>
    public required int GraphBytesPerVector { get; init; }

    /// <summary>Everything resident per vector for a graph search: the collection's T1 + T2 + factors and the graph's bytes.</summary>
    public required int ResidentBytesPerVector { get; init; }

    /// <summary>The calibration of the graph for the run's quality target (<see cref="GraphCalibration"/>).</summary>
    public required GraphCalibration Calibration { get; init; }

    /// <summary>Seconds the calibration took.</summary>
    public required double CalibrationSeconds { get; init; }

    /// <summary>
    /// The default: the graph at the calibrated beam width when <see cref="Calibration"/> chose the graph; the run's flat
    /// cascade row (beam width 0, no visits) when it chose the flat cascade.
    /// </summary>
    public required GraphMethodResult Default { get; init; }

    /// <summary>Filtered search at each <c>--filter-selectivity</c> (empty without it).</summary>
    public required IReadOnlyList<GraphFilterResult> Filtered { get; init; }

    /// <summary>The sweep of fixed beam widths.</summary>
    public required IReadOnlyList<GraphMethodResult> Sweep { get; init; }
}
