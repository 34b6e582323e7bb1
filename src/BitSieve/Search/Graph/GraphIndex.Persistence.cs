using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve.Search.Graph;

internal sealed partial class GraphIndex
{
    /// <summary>Ints before the adjacency rows in a graph file: the maximum degree R, the entry node, the node count.</summary>
    private const int FileHeaderInts = 3;

    /// <summary>
    /// Writes the graph to a column file of kind <see cref="ColumnKind.Graph"/> ("GRPH"; the column file's magic,
    /// version and payload checksum), atomically (tmp file, fsync, rename): R, the entry, the node count, then one row
    /// of R + 1 ints per node, its degree and its neighbours (slots past the degree are zero). Node rows are not
    /// saved: they are copies of the columns' codes, made again on load. The owner holds at least its read lock.
    /// </summary>
    public ColumnInfo Save(string path)
    {
        using var writer = new ColumnWriter(path, ColumnKind.Graph, sizeof(int));
        writer.Append<int>([MaxDegree, Entry, Count]);
        var row = new int[MaxDegree + 1];
        var kept = new int[MaxDegree];
        Inserter? pruner = null;
        for (int node = 0; node < Count; node++)
        {
            Array.Clear(row);
            int at = node * LinkStride;
            if (_links[at] <= MaxDegree) _links.AsSpan(at, _links[at] + 1).CopyTo(row);
            else
            {
                // A list still in its slack (a write came between the owner's Reconnect and this save): its pruned copy.
                pruner ??= new Inserter(this, new GraphBuildOptions { MaxDegree = MaxDegree });
                row[0] = pruner.Trimmed(node, kept);
                kept.AsSpan(0, row[0]).CopyTo(row.AsSpan(1));
            }
            writer.Append<int>(row);
        }
        return writer.Commit();
    }

    /// <summary>The ints a graph file of <paramref name="count"/> nodes of degree at most <paramref name="maxDegree"/> holds.</summary>
    public static long FileInts(int count, int maxDegree) => FileHeaderInts + (long)count * (maxDegree + 1);

    /// <summary>
    /// Loads a graph saved by <see cref="Save"/> over the columns it was saved with (already loaded: their codes fill the
    /// node rows). Checks the file's header and checksum, and that every row's degree and neighbours are in range.
    /// </summary>
    /// <exception cref="CorruptFileException">The file is damaged or does not describe a graph over these columns; the message names it.</exception>
    public static GraphIndex Load(string path, ColumnEntry entry, VectorColumns columns, Quantizer quantizer, int threads)
    {
        int count = columns.Count;
        var data = ColumnFile.ReadAll<int>(path, ColumnKind.Graph, entry.Count, entry.Checksum);
        if (data.Length < FileHeaderInts)
            throw new CorruptFileException(path, $"it holds {data.Length} ints, fewer than the {FileHeaderInts} of its header.", null);
        int maxDegree = data[0], start = data[1];
        if (maxDegree is < 2 or > 255)
            throw new CorruptFileException(path, $"its maximum degree {maxDegree} is outside 2..255.", null);
        if (data[2] != count || data.LongLength != FileInts(count, maxDegree))
            throw new CorruptFileException(path, $"it holds {data[2]} nodes in {data.Length} ints where the columns have {count} points ({FileInts(count, maxDegree)} ints at degree {maxDegree}).", null);
        if (start < 0 || start >= Math.Max(1, count))
            throw new CorruptFileException(path, $"its entry node {start} is not one of its {count} nodes.", null);
        var graph = new GraphIndex(columns, quantizer, maxDegree) { Entry = start };
        int stride = maxDegree + 1;
        for (int node = 0; node < count; node++)
        {
            var row = data.AsSpan(FileHeaderInts + node * stride, stride);
            if (row[0] < 0 || row[0] > maxDegree)
                throw new CorruptFileException(path, $"node {node} has degree {row[0]}, outside 0..{maxDegree}.", null);
            foreach (int neighbor in row[1..(row[0] + 1)])
                if (neighbor < 0 || neighbor >= count || neighbor == node)
                    throw new CorruptFileException(path, $"node {node} links to {neighbor}, which is not another of its {count} nodes.", null);
            row.CopyTo(graph._links.AsSpan(node * stride));
        }
        graph.FillRows(Math.Max(1, Math.Min(threads, count / 1024 + 1)));
        return graph;
    }
}
