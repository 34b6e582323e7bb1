using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve.Search.Graph;

/// <summary>
/// A one-layer proximity graph (Vamana) over the points of a <see cref="VectorColumns"/> snapshot, searched on the
/// precision ladder. Per node it keeps, in RAM, one <em>node row</em> (the T1 sign code in row order followed by the
/// four T1 factors: 48 + 16 = 64 B, one cache line, at 384 dimensions) and one adjacency row (degree, then up to
/// <see cref="MaxDegree"/> ordinals). The columns' own T1 codes sit in FastScan blocks, where one vector's code is
/// spread over 48 cache lines; a traversal estimating scattered neighbours needs them in rows.
/// A graph built by <see cref="Build"/> covers the ordinals present then; a graph owned by a <see cref="VectorIndex"/>
/// follows its writes (<c>GraphIndex.Write.cs</c>) and is saved with its columns (<c>GraphIndex.Persistence.cs</c>).
/// </summary>
internal sealed partial class GraphIndex
{
    // The T1 factors after the code words in a node row: Balance, RInv1, E1, Beta (4 floats = 2 words).
    private const int FactorWords = 2;
    private const int LockStripes = 4096;

    // Grown (reallocated) by online inserts, which run under the owner's write lock, never beside a search.
    private ulong[] _rows;
    private int _rowBase;
    // Adjacency rows of _stride ints: the degree, then the neighbours. During the build a row has room for
    // SlackDegree neighbours, so that reverse edges are pruned once per several additions, not at every one.
    private int[] _links;
    private int _stride;
    private readonly object[] _locks;

    private GraphIndex(VectorColumns columns, Quantizer quantizer, int maxDegree)
    {
        Columns = columns;
        Quantizer = quantizer;
        Count = columns.Count;
        Deleted = columns.DeletedCount;
        Words = columns.Words;
        MaxDegree = maxDegree;
        RowWords = Words + FactorWords;
        // Pinned so that rows can be aligned to cache lines and prefetched by address.
        (_rows, _rowBase) = AllocateRows(Count * RowWords);
        _stride = maxDegree + 1;
        _links = new int[Count * _stride];
        NodeCapacity = Count;
        _locks = new object[LockStripes];
        for (int i = 0; i < _locks.Length; i++) _locks[i] = new object();
    }

    /// <summary>The columns the graph was built over (codes, factors and originals are read from them).</summary>
    public VectorColumns Columns { get; }

    /// <summary>The quantizer the codes were made with; a retrained one makes the node rows stale until <see cref="Reencode"/>.</summary>
    public Quantizer Quantizer { get; private set; }

    /// <summary>Nodes: the ordinals [0, Count) of the columns (when the graph was built, or as online inserts grew it).</summary>
    public int Count { get; private set; }

    /// <summary>Nodes the rows and adjacency arrays have room for (at least <see cref="Count"/>).</summary>
    public int NodeCapacity { get; private set; }

    /// <summary>Tombstones among the nodes when the graph was built (deleted nodes are crossed but never returned).</summary>
    public int Deleted { get; }

    /// <summary>The most neighbours a node has.</summary>
    public int MaxDegree { get; }

    /// <summary>The node every search starts from: the point nearest the mean of all points (the medoid).</summary>
    public int Entry { get; private set; }

    /// <summary>64-bit words of a sign code.</summary>
    public int Words { get; }

    private int RowWords { get; }

    private int LinkStride => _stride;

    /// <summary>
    /// Resident bytes per vector the graph adds to the columns: its node row and its adjacency row (R + 1 ints once built;
    /// 1.3·R + 1 once online inserts have given the lists their slack).
    /// </summary>
    public int BytesPerVector => RowWords * sizeof(ulong) + LinkStride * sizeof(int);

    /// <summary>The neighbours of a node (a copy, taken under the node's lock).</summary>
    public int[] Neighbors(int node)
    {
        var buffer = new int[LinkStride - 1];
        int degree = CopyNeighbors(node, buffer);
        return buffer[..degree];
    }

    /// <summary>Gives every adjacency row room for <paramref name="degree"/> neighbours (or takes it back), keeping the lists.</summary>
    private void Restride(int degree)
    {
        int stride = degree + 1;
        var links = new int[NodeCapacity * stride];
        for (int node = 0; node < Count; node++)
        {
            int from = node * _stride;
            Debug.Assert(_links[from] <= degree);
            _links.AsSpan(from, _links[from] + 1).CopyTo(links.AsSpan(node * stride));
        }
        (_links, _stride) = (links, stride);
    }

    /// <summary>Copies a node's neighbour list into <paramref name="destination"/>; returns the degree.</summary>
    private int CopyNeighbors(int node, Span<int> destination)
    {
        lock (_locks[node & (LockStripes - 1)])
        {
            int at = node * LinkStride;
            int degree = _links[at];
            _links.AsSpan(at + 1, degree).CopyTo(destination);
            return degree;
        }
    }

    /// <summary>A node's sign code in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<ulong> Code(int node) => new(_rows, _rowBase + node * RowWords, Words);

    /// <summary>A node's T1 factors: Balance, RInv1, E1, Beta.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<float> Factors(int node) =>
        MemoryMarshal.Cast<ulong, float>(new ReadOnlySpan<ulong>(_rows, _rowBase + node * RowWords + Words, FactorWords));

    /// <summary>A pinned array for <paramref name="words"/> words of node rows and the index where its first 64-byte-aligned row starts.</summary>
    private static (ulong[] Rows, int Base) AllocateRows(int words)
    {
        var rows = GC.AllocateArray<ulong>(words + 8, pinned: true);
        return (rows, (int)((64 - (Marshal.UnsafeAddrOfPinnedArrayElement(rows, 0) & 63)) & 63) / sizeof(ulong));
    }

    /// <summary>Copies every node's code and T1 factors out of the columns into node rows.</summary>
    private void FillRows(int threads)
    {
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int per = (Count + threads - 1) / threads;
            for (int node = t * per; node < Math.Min(Count, (t + 1) * per); node++) FillRow(node);
        });
    }

    /// <summary>Copies one node's code and T1 factors out of the columns into its node row.</summary>
    private void FillRow(int node)
    {
        var c = Columns;
        var row = _rows.AsSpan(_rowBase + node * RowWords, RowWords);
        c.ReadSignRow(node, row[..Words]);
        var factors = MemoryMarshal.Cast<ulong, float>(row[Words..]);
        factors[0] = c.Balance[node];
        factors[1] = c.RInv1[node];
        factors[2] = c.E1[node];
        factors[3] = c.Beta[node];
    }
}
