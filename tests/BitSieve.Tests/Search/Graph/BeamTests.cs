using BitSieve.Search.Graph;

namespace BitSieve.Tests.Search.Graph;

/// <summary>
/// The traversal's sorted beam against a plain reference: after any sequence of insertions it holds the
/// <see cref="Beam.Capacity"/> best scores inserted, best first, equal scores in the order they came.
/// </summary>
public sealed class BeamTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(10, 5)]
    [InlineData(64, 40)]
    [InlineData(200, 1000)]
    public void Holds_the_best_scores_in_order_with_ties_in_arrival_order(int capacity, int distinctScores)
    {
        var random = new Random(capacity * 31 + distinctScores);
        var beam = new Beam();
        for (int round = 0; round < 20; round++)
        {
            beam.Reset(capacity);
            var inserted = new List<(int Ordinal, float Score)>();
            int insertions = random.Next(1, 4 * capacity + 10);
            for (int ordinal = 0; ordinal < insertions; ordinal++)
            {
                // Few distinct scores make many ties.
                float score = random.Next(distinctScores) / (float)distinctScores;
                bool worstBefore = beam.IsFull && score <= beam.Boundary;
                Assert.Equal(!worstBefore, beam.Insert(ordinal, score, score - 1, score + 1));
                inserted.Add((ordinal, score));
            }

            var expected = inserted.OrderByDescending(e => e.Score).ThenBy(e => e.Ordinal).Take(capacity).ToArray();
            var held = Enumerable.Range(0, beam.Count).Select(i => (beam[i].Ordinal, beam[i].Score)).ToArray();
            Assert.Equal(expected, held);
        }
    }
}
