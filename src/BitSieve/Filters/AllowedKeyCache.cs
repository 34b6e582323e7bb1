namespace BitSieve.Filters;

/// <summary>
/// The keys a filter's plan read: the allowed keys, or, under <see cref="FilterPlan.CascadeExceptRejected"/>, the
/// rejected ones.
/// </summary>
/// <param name="Plan">The plan that read them.</param>
/// <param name="Keys">The keys, in the points table's order.</param>
internal sealed record FilterKeys(FilterPlan Plan, IReadOnlyList<ulong> Keys)
{
    private Search.AllowedSet? _allowed;

    /// <summary>Whether <see cref="Keys"/> are the points the filter rejects.</summary>
    public bool Rejected => Plan == FilterPlan.CascadeExceptRejected;

    /// <summary>
    /// The keys as the vector index searches them: one <see cref="Search.AllowedSet"/> per cached filter, so its
    /// bitmap over the ordinals is made by the first search and read by the next ones.
    /// </summary>
    public Search.AllowedSet Allowed => LazyInitializer.EnsureInitialized(ref _allowed, () => new Search.AllowedSet(Keys, Rejected));
}

/// <summary>
/// The <see cref="FilterKeys"/> of recent filters at one log sequence: at most <see cref="MaxEntries"/> sets holding at
/// most <see cref="MaxKeys"/> keys in all, the least recently used evicted first. An entry is found only at the
/// sequence it was read at, and a lookup or an addition at another sequence empties the cache: any write moves the
/// sequence, so no set outlives the state it was read from. Thread-safe.
/// </summary>
internal sealed class AllowedKeyCache
{
    /// <summary>The most sets held.</summary>
    public const int MaxEntries = 16;

    /// <summary>The most keys held, over all sets (32 MiB); a larger set is not kept.</summary>
    public const long MaxKeys = 4L << 20;

    private readonly Lock _gate = new();
    private readonly LinkedList<(string Filter, FilterKeys Keys)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Filter, FilterKeys Keys)>> _entries = new(StringComparer.Ordinal);
    private long _sequence = -1;
    private long _keys;

    /// <summary>Lookups that found their set.</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that did not.</summary>
    public long Misses { get; private set; }

    /// <summary>Sets held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>The set of <paramref name="filter"/> (a <see cref="FilterSqlClause.CacheKey"/>) read at <paramref name="sequence"/>, if held.</summary>
    public bool TryGet(string filter, long sequence, out FilterKeys keys)
    {
        lock (_gate)
        {
            MoveTo(sequence);
            if (_entries.TryGetValue(filter, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                Hits++;
                keys = node.Value.Keys;
                return true;
            }
            Misses++;
            keys = null!;
            return false;
        }
    }

    /// <summary>Keeps the set of <paramref name="filter"/> read at <paramref name="sequence"/>, evicting the least recently used.</summary>
    public void Add(string filter, long sequence, FilterKeys keys)
    {
        if (keys.Keys.Count > MaxKeys) return;
        lock (_gate)
        {
            MoveTo(sequence);
            if (_entries.Remove(filter, out var old))
            {
                _order.Remove(old);
                _keys -= old.Value.Keys.Keys.Count;
            }
            while (_entries.Count >= MaxEntries || _keys + keys.Keys.Count > MaxKeys)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _entries.Remove(last.Value.Filter);
                _keys -= last.Value.Keys.Keys.Count;
            }
            _entries[filter] = _order.AddFirst((filter, keys));
            _keys += keys.Keys.Count;
        }
    }

    private void MoveTo(long sequence)
    {
        if (sequence == _sequence) return;
        _entries.Clear();
        _order.Clear();
        _keys = 0;
        _sequence = sequence;
    }
}
