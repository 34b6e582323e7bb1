using System.Runtime.CompilerServices;

namespace BitSieve.Search.Graph;

/// <summary>
/// One node in a beam: its score estimate (higher is closer), the interval around it, whether that interval already
/// includes the node's T2 interval, and whether the node was expanded.
/// </summary>
internal struct BeamEntry
{
    public int Ordinal;
    public float Score;
    public float Lo;
    public float Hi;
    public bool Refined;
    public bool Expanded;
}

/// <summary>
/// The candidate list of a best-first graph search: at most <see cref="Capacity"/> nodes sorted by score, best first,
/// and a cursor at the best node not yet expanded (an insertion ahead of it moves it back).
/// A sorted array beats a heap pair at beam widths of tens to hundreds: a binary search and one memmove per insertion, no
/// second structure.
/// </summary>
internal sealed class Beam
{
    private BeamEntry[] _entries = [];
    private int _cursor;

    public int Capacity { get; private set; }

    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The worst score in a full beam; −∞ while it has room.</summary>
    public float Boundary => Count == Capacity ? _entries[Count - 1].Score : float.NegativeInfinity;

    public ref BeamEntry this[int index] => ref _entries[index];

    public void Reset(int capacity)
    {
        if (_entries.Length < capacity + 1) _entries = new BeamEntry[capacity + 1];
        Capacity = capacity;
        Count = 0;
        _cursor = 0;
    }

    /// <summary>Inserts a node if it beats the boundary; the worst falls off a full beam.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Insert(int ordinal, float score, float lo, float hi, bool refined = false)
    {
        if (Count == Capacity && score <= _entries[Count - 1].Score) return false;
        // Binary search for the first place whose score is below the new one (ties stay ahead of it).
        int at = 0, end = Count;
        while (at < end)
        {
            int mid = (at + end) >>> 1;
            if (_entries[mid].Score < score) end = mid;
            else at = mid + 1;
        }
        int move = Math.Min(Count, Capacity - 1) - at;
        if (move > 0) Array.Copy(_entries, at, _entries, at + 1, move);
        _entries[at] = new BeamEntry { Ordinal = ordinal, Score = score, Lo = lo, Hi = hi, Refined = refined };
        if (Count < Capacity) Count++;
        if (at < _cursor) _cursor = at;
        return true;
    }

    /// <summary>Takes the entry at <paramref name="index"/> out of the beam (a node about to move to another place).</summary>
    public void RemoveAt(int index)
    {
        Array.Copy(_entries, index + 1, _entries, index, Count - index - 1);
        Count--;
        if (_cursor > index) _cursor--;
    }

    /// <summary>The index of the best node not yet expanded, marked expanded now; −1 when all are.</summary>
    public int NextToExpand()
    {
        while (_cursor < Count && _entries[_cursor].Expanded) _cursor++;
        if (_cursor == Count) return -1;
        _entries[_cursor].Expanded = true;
        return _cursor;
    }
}
