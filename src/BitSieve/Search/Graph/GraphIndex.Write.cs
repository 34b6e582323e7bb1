using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve.Search.Graph;

internal sealed partial class GraphIndex
{
    // The inserter of online writes, kept between them (its visit stamps are sized to the node capacity).
    private Inserter? _writer;

    // Online inserts since the last reconnection (see Reconnect).
    private int _insertsSinceReconnect;

    /// <summary>
    /// Adds the ordinal just appended to the columns (<see cref="Count"/>) as a node: its node row is copied from the
    /// columns and, unless it is already deleted (a row replaced later in its own batch), it is linked by the build's
    /// own insertion routine (search for it, α-prune, reverse edges). The owner holds its write lock: no search runs.
    /// </summary>
    public void Add(int ordinal, GraphBuildOptions options)
    {
        if (ordinal != Count) throw new InvalidOperationException($"The graph has {Count} nodes; ordinal {ordinal} cannot be the next.");
        if (Count == NodeCapacity) Grow(Math.Max(1024, NodeCapacity * 2));
        Count++;
        FillRow(ordinal);
        if (Columns.IsDeleted(ordinal)) return;
        if (!HasLiveEntry(Count - 1))
        {
            // The first live node (or the first since every other was deleted) is where searches start.
            Entry = ordinal;
            return;
        }
        // Online inserts keep the build's slack: a full list takes several reverse edges before it is pruned again,
        // rather than being pruned at each (R² distances each time). Reconnect trims the lists to R before a save.
        if (LinkStride - 1 < SlackDegree(MaxDegree)) Restride(SlackDegree(MaxDegree));
        _writer = WriterFor(options);
        _writer.Insert(ordinal);
        // Reverse-edge pruning can take a node's last incoming edge, as in the bulk build: reconnect now and then, so
        // stranded nodes stay few between saves (amortized: one pass over the links per Count / 8 inserts).
        if (++_insertsSinceReconnect >= Math.Max(1024, Count / 8)) Reconnect(options);
    }

    /// <summary>
    /// Prunes the lists that online inserts left longer than R (the slack, see <see cref="Add"/>) back to R, then gives
    /// every node the entry no longer reaches an incoming edge from a reachable node near it (the bulk build's final
    /// pass). The owner calls it before each save and after recovery, so a saved or reopened graph reaches every node.
    /// </summary>
    public void Reconnect(GraphBuildOptions options)
    {
        _insertsSinceReconnect = 0;
        _writer = WriterFor(options);
        for (int node = 0; node < Count; node++) _writer.Trim(node);
        if (!HasLiveEntry(Count)) return;
        Connect(_writer);
    }

    private Inserter WriterFor(GraphBuildOptions options) => _writer is { } writer && writer.Fits(this) ? writer : new Inserter(this, options);

    /// <summary>
    /// Called once the columns mark <paramref name="ordinal"/> deleted. The node stays in the graph (searches pass
    /// through it and never return it) until compaction rebuilds the graph; a deleted entry is replaced by a live
    /// neighbour, which gets an edge to the old entry so that every node reached before is reached still.
    /// </summary>
    public void Remove(int ordinal)
    {
        if (ordinal != Entry || Count == 0) return;
        int replacement = -1;
        foreach (int neighbor in Neighbors(Entry))
        {
            if (Columns.IsDeleted(neighbor)) continue;
            replacement = neighbor;
            break;
        }
        // No live neighbour: any live node, linked to the old entry the same way.
        for (int node = 0; node < Count && replacement < 0; node++)
            if (!Columns.IsDeleted(node)) replacement = node;
        if (replacement < 0) return; // nothing live: the next live insert becomes the entry
        LinkTo(replacement, Entry);
        Entry = replacement;
    }

    /// <summary>The quantizer was retrained: every node row is copied again from the re-encoded columns.</summary>
    public void Reencode(Quantizer quantizer, int threads)
    {
        Quantizer = quantizer;
        FillRows(Math.Max(1, Math.Min(threads, Count / 1024 + 1)));
    }

    /// <summary>Whether the entry is a live node among the first <paramref name="nodes"/>.</summary>
    private bool HasLiveEntry(int nodes) => Entry < nodes && !Columns.IsDeleted(Entry);

    /// <summary>Adds the edge from → to, replacing from's farthest neighbour when its list is full.</summary>
    private void LinkTo(int from, int to)
    {
        int at = from * LinkStride;
        int degree = _links[at];
        var list = _links.AsSpan(at + 1, degree);
        if (list.Contains(to)) return;
        if (degree < MaxDegree)
        {
            _links[at + 1 + degree] = to;
            _links[at] = degree + 1;
            return;
        }
        var origin = Columns.Originals.Row(from);
        int farthest = 0;
        float farthestDistance = -1;
        for (int j = 0; j < degree; j++)
        {
            float distance = Kernels.SquaredDistance(origin, Columns.Originals.Row(list[j]));
            if (distance > farthestDistance) (farthest, farthestDistance) = (j, distance);
        }
        list[farthest] = to;
    }

    /// <summary>Reallocates the node rows and adjacency rows for <paramref name="capacity"/> nodes, keeping them.</summary>
    private void Grow(int capacity)
    {
        var (rows, rowBase) = AllocateRows(capacity * RowWords);
        _rows.AsSpan(_rowBase, Count * RowWords).CopyTo(rows.AsSpan(rowBase));
        var links = new int[capacity * LinkStride];
        _links.AsSpan(0, Count * LinkStride).CopyTo(links);
        (_rows, _rowBase, _links, NodeCapacity) = (rows, rowBase, links, capacity);
    }
}
