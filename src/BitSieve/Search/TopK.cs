namespace BitSieve.Search;

/// <summary>
/// The k best (score, ordinal) pairs seen so far: a min-heap whose root is the k-th best. Higher scores are better;
/// equal scores prefer the lower ordinal, as the exact ground truth does.
/// </summary>
internal sealed class TopK
{
    private readonly float[] _scores;
    private readonly int[] _ordinals;
    private int _count;

    public TopK(int k)
    {
        _scores = new float[k];
        _ordinals = new int[k];
    }

    public int Count => _count;

    public bool IsFull => _count == _scores.Length;

    /// <summary>
    /// A score the answer is known to reach elsewhere (<see cref="SearchOptions.ScoreBound"/>): the threshold never falls
    /// below it, so pairs that cannot reach it are pruned even before k were added. −∞ (the default) for none.
    /// </summary>
    public float Floor { get; init; } = float.NegativeInfinity;

    /// <summary>The k-th best score (or <see cref="Floor"/> while fewer than k were added), never below <see cref="Floor"/>.</summary>
    public float Threshold => _count < _scores.Length ? Floor : MathF.Max(Floor, _scores[0]);

    public void Clear() => _count = 0;

    /// <summary>Adds a pair if it is among the k best.</summary>
    public void Add(float score, int ordinal)
    {
        if (_count < _scores.Length)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!Worse(score, ordinal, _scores[parent], _ordinals[parent])) break;
                _scores[i] = _scores[parent];
                _ordinals[i] = _ordinals[parent];
                i = parent;
            }
            _scores[i] = score;
            _ordinals[i] = ordinal;
            return;
        }
        if (!Worse(_scores[0], _ordinals[0], score, ordinal)) return;
        SiftDown(score, ordinal);
    }

    /// <summary>The pairs, best first.</summary>
    public (float Score, int Ordinal)[] ToSortedArray()
    {
        var items = new (float Score, int Ordinal)[_count];
        for (int i = 0; i < _count; i++) items[i] = (_scores[i], _ordinals[i]);
        Array.Sort(items, static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Ordinal.CompareTo(b.Ordinal));
        return items;
    }

    /// <summary>Adds every pair of another heap.</summary>
    public void Merge(TopK other)
    {
        for (int i = 0; i < other._count; i++) Add(other._scores[i], other._ordinals[i]);
    }

    private void SiftDown(float score, int ordinal)
    {
        int n = _count, i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && Worse(_scores[child + 1], _ordinals[child + 1], _scores[child], _ordinals[child])) child++;
            if (!Worse(_scores[child], _ordinals[child], score, ordinal)) break;
            _scores[i] = _scores[child];
            _ordinals[i] = _ordinals[child];
            i = child;
        }
        _scores[i] = score;
        _ordinals[i] = ordinal;
    }

    private static bool Worse(float a, int aOrd, float b, int bOrd) => a < b || (a == b && aOrd > bOrd);
}
