using System.Buffers;

namespace BitSieve.Search;

/// <summary>
/// Candidates in descending order of upper bound, sorted only as far as they are read. The T2 pass stops at the first
/// candidate whose upper bound falls below its k-th lower bound, typically a fifth of the way down; sorting all the
/// T1 survivors was a third of that pass. A counting pass buckets them by upper bound (equal-width buckets between the
/// highest and the lowest, bucket 0 the highest), and a bucket is sorted when the reader reaches it, so the order read
/// is exactly that of a full sort. Values a bucket cannot place (NaN, infinities) fall into bucket 0, which is sorted
/// like the rest.
/// </summary>
internal sealed class UpperBoundOrder : IDisposable
{
    private readonly Candidate[] _items;
    private readonly float[] _keys;
    private readonly int[] _bucketEnds;
    private int _sortedBuckets, _sortedEnd;

    public UpperBoundOrder(ReadOnlySpan<Candidate> candidates)
    {
        int n = Count = candidates.Length;
        _items = ArrayPool<Candidate>.Shared.Rent(Math.Max(1, n));
        _keys = ArrayPool<float>.Shared.Rent(Math.Max(1, n));
        float max = float.NegativeInfinity, min = float.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            float hi = candidates[i].Hi;
            max = MathF.Max(max, hi);
            min = MathF.Min(min, hi);
        }
        int buckets = Math.Clamp(n / 4, 1, 4096);
        float scale = max > min ? buckets / (max - min) : 0;
        if (!float.IsFinite(scale)) scale = 0;
        _bucketEnds = ArrayPool<int>.Shared.Rent(buckets);
        var counts = _bucketEnds.AsSpan(0, buckets);
        counts.Clear();
        // First pass: bucket of each candidate (kept in _keys as an int) and the bucket sizes.
        var bucketOf = System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(_keys.AsSpan(0, n));
        for (int i = 0; i < n; i++)
        {
            float t = (max - candidates[i].Hi) * scale;
            int b = t > 0 ? (t < buckets ? (int)t : buckets - 1) : 0;
            bucketOf[i] = b;
            counts[b]++;
        }
        // Bucket starts, then a stable scatter; afterwards _bucketEnds[b] is where bucket b ends.
        int start = 0;
        for (int b = 0; b < buckets; b++)
        {
            int size = counts[b];
            counts[b] = start;
            start += size;
        }
        for (int i = 0; i < n; i++) _items[counts[bucketOf[i]]++] = candidates[i];
        _bucketCount = buckets;
    }

    private readonly int _bucketCount;

    public int Count { get; }

    /// <summary>The candidate of rank <paramref name="index"/> (0 = highest upper bound).</summary>
    public Candidate this[int index]
    {
        get
        {
            while (index >= _sortedEnd) SortNextBucket();
            return _items[index];
        }
    }

    private void SortNextBucket()
    {
        int start = _sortedEnd, end = _bucketEnds[_sortedBuckets++];
        if (end - start > 1)
        {
            var keys = _keys.AsSpan(start, end - start);
            for (int i = 0; i < keys.Length; i++) keys[i] = -_items[start + i].Hi;
            keys.Sort(_items.AsSpan(start, end - start));
        }
        _sortedEnd = end;
    }

    public void Dispose()
    {
        ArrayPool<Candidate>.Shared.Return(_items);
        ArrayPool<float>.Shared.Return(_keys);
        ArrayPool<int>.Shared.Return(_bucketEnds);
    }
}
