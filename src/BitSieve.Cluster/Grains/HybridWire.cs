using BitSieve.Storage;

namespace BitSieve.Cluster.Grains;

/// <summary>A shard's (or the corpus's) BM25 statistics of one query on the wire (see the engine's <see cref="LexicalStatistics"/>).</summary>
[GenerateSerializer, Immutable]
internal sealed record WireTextStatistics([property: Id(0)] long Rows, [property: Id(1)] long Terms, [property: Id(2)] long[] DocumentFrequencies)
{
    public static WireTextStatistics From(LexicalStatistics statistics) => new(statistics.Rows, statistics.Terms, statistics.DocumentFrequencies);

    public LexicalStatistics ToStatistics() => new(Rows, Terms, DocumentFrequencies);
}

/// <summary>
/// One shard's two candidate lists of a hybrid search, before fusion: its best by vector and its best by BM25 (scored
/// with the corpus's statistics, ties of the last included), best first, with BM25's scores as the doubles the fusion
/// reads (<see cref="LexicalScores"/>, parallel to <see cref="Lexical"/>), and the vector cascade's counts per tier.
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record HybridShardAnswer(
    [property: Id(0)] IReadOnlyList<WireHit> Vector, [property: Id(1)] IReadOnlyList<WireHit> Lexical, [property: Id(2)] double[] LexicalScores,
    [property: Id(3)] long T1Seen, [property: Id(4)] long T2Seen, [property: Id(5)] long T3Seen);

/// <summary>
/// One shard's part of a lexical search: its best k by BM25 scored with the corpus's statistics (ties of the last
/// included), best first, with the scores as doubles (<see cref="Scores"/>, parallel to <see cref="Hits"/>).
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record LexicalShardAnswer([property: Id(0)] IReadOnlyList<WireHit> Hits, [property: Id(1)] double[] Scores);
