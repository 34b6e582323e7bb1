using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

/// <summary>
/// How a vector property's <see cref="DistanceFunction"/> and <see cref="IndexKind"/> map onto a BitSieve collection.
/// </summary>
/// <remarks>
/// <para>Distance functions: <see cref="DistanceFunction.CosineSimilarity"/> (the default) and
/// <see cref="DistanceFunction.CosineDistance"/> use <see cref="Metric.Cosine"/>; <see cref="DistanceFunction.DotProductSimilarity"/>
/// and <see cref="DistanceFunction.NegativeDotProductSimilarity"/> use <see cref="Metric.Dot"/>;
/// <see cref="DistanceFunction.EuclideanDistance"/> and <see cref="DistanceFunction.EuclideanSquaredDistance"/> use
/// <see cref="Metric.Euclidean"/>. Scores are reported in the function's own terms (1 − cosine, −dot, distance²).</para>
/// <para>Index kinds: every collection keeps the same quantized columns, searched on the precision ladder (1-bit T1,
/// T2 refinement, float32 T3 verification). <see cref="IndexKind.Dynamic"/> (and no kind, the default) is
/// <see cref="IndexType.Auto"/>: the flat cascade, then the graph from <see cref="CollectionOptions.GraphThreshold"/>
/// points; <see cref="IndexKind.Hnsw"/> is <see cref="IndexType.Graph"/> (a graph whatever the size);
/// <see cref="IndexKind.QuantizedFlat"/> is <see cref="IndexType.Flat"/> (the flat cascade only); each climbs the ladder
/// only as far as the quality target needs (default recall ≥ 0.995). <see cref="IndexKind.Flat"/> is
/// <see cref="IndexType.Flat"/> searched with <c>Quality.Exact</c>, whose answer is certified equal to exact float32
/// brute force. Partition indexes (IVF, DiskANN) are not offered.</para>
/// </remarks>
internal static class VectorSettings
{
    public static Metric MetricOf(VectorPropertyModel vector) => vector.DistanceFunction switch
    {
        null or DistanceFunction.CosineSimilarity or DistanceFunction.CosineDistance => Metric.Cosine,
        DistanceFunction.DotProductSimilarity or DistanceFunction.NegativeDotProductSimilarity => Metric.Dot,
        DistanceFunction.EuclideanDistance or DistanceFunction.EuclideanSquaredDistance => Metric.Euclidean,
        _ => throw new NotSupportedException(
            $"Distance function '{vector.DistanceFunction}' of vector property '{vector.ModelName}' is not supported by BitSieve; use " +
            $"{DistanceFunction.CosineSimilarity}, {DistanceFunction.CosineDistance}, {DistanceFunction.DotProductSimilarity}, " +
            $"{DistanceFunction.NegativeDotProductSimilarity}, {DistanceFunction.EuclideanDistance} or {DistanceFunction.EuclideanSquaredDistance}."),
    };

    /// <summary>Whether the property asks for exact search (<see cref="IndexKind.Flat"/>).</summary>
    public static bool IsExactIndex(VectorPropertyModel vector) => IndexTypeOf(vector) == IndexType.Flat && vector.IndexKind == IndexKind.Flat;

    /// <summary>The engine's index type for the property's index kind (see the remarks).</summary>
    public static IndexType IndexTypeOf(VectorPropertyModel vector) => vector.IndexKind switch
    {
        null or IndexKind.Dynamic => IndexType.Auto,
        IndexKind.Hnsw => IndexType.Graph,
        IndexKind.Flat or IndexKind.QuantizedFlat => IndexType.Flat,
        _ => throw new NotSupportedException(
            $"Index kind '{vector.IndexKind}' of vector property '{vector.ModelName}' is not supported by BitSieve; use " +
            $"{IndexKind.Dynamic} (the default: flat, then a graph above the size threshold), {IndexKind.Hnsw} (a graph), " +
            $"{IndexKind.QuantizedFlat} (the flat precision ladder) or {IndexKind.Flat} (the same ladder, certified exact)."),
    };

    /// <summary>The engine's score in the terms of the property's distance function.</summary>
    public static double Score(VectorPropertyModel vector, float engineScore) => vector.DistanceFunction switch
    {
        DistanceFunction.CosineDistance => 1.0 - engineScore,
        DistanceFunction.NegativeDotProductSimilarity => -(double)engineScore,
        DistanceFunction.EuclideanSquaredDistance => (double)engineScore * engineScore,
        _ => engineScore,
    };

    /// <summary>Whether higher scores are better (similarities) rather than lower (distances).</summary>
    public static bool HigherIsBetter(VectorPropertyModel vector) => vector.DistanceFunction switch
    {
        DistanceFunction.CosineDistance or DistanceFunction.NegativeDotProductSimilarity
            or DistanceFunction.EuclideanDistance or DistanceFunction.EuclideanSquaredDistance => false,
        _ => true,
    };
}
