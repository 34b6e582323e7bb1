using BitSieve.Search;

namespace BitSieve.Tests;

public class UpperBoundOrderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(5000)]
    public void Reads_every_candidate_once_in_descending_upper_bound(int n)
    {
        var random = new Random(n);
        for (int trial = 0; trial < 6; trial++)
        {
            var candidates = new List<Candidate>();
            for (int i = 0; i < n; i++)
            {
                float hi = trial switch
                {
                    0 => 0.5f, // all equal
                    1 => (float)random.Next(0, 5), // many ties
                    2 => (float)Math.Pow(random.NextDouble(), 8), // skewed towards the low end
                    3 when i % 17 == 3 => float.PositiveInfinity,
                    4 when i % 13 == 5 => float.NegativeInfinity,
                    _ => (float)(random.NextDouble() * 2 - 1),
                };
                candidates.Add(new Candidate(i, hi - 1, hi));
            }

            using var order = new UpperBoundOrder(candidates.ToArray());
            Assert.Equal(n, order.Count);
            var seen = new HashSet<int>();
            for (int i = 0; i < n; i++)
            {
                var c = order[i];
                Assert.True(seen.Add(c.Ordinal));
                Assert.Equal(candidates[c.Ordinal], c);
                if (i > 0) Assert.True(order[i - 1].Hi >= c.Hi, $"trial {trial}: rank {i - 1} has {order[i - 1].Hi}, rank {i} has {c.Hi}");
            }
        }
    }

    [Fact]
    public void Reads_only_what_is_asked_for_in_order()
    {
        var random = new Random(5);
        var candidates = Enumerable.Range(0, 1000).Select(i => new Candidate(i, 0, (float)random.NextDouble())).ToList();
        var expected = candidates.OrderByDescending(c => c.Hi).Take(50).Select(c => c.Ordinal).ToArray();
        using var order = new UpperBoundOrder(candidates.ToArray());
        Assert.Equal(expected, Enumerable.Range(0, 50).Select(i => order[i].Ordinal).ToArray());
    }
}
