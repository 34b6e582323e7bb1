using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace BitSieve.Storage;

/// <summary>
/// The float32 originals (T3), addressed by ordinal: the saved segments, memory-mapped from disk (never required to fit
/// in RAM), followed by an in-memory tail of rows appended since the last save. Rows never change once written, so a
/// save writes only the tail as a new segment (<see cref="SegmentsIn"/>). The tail grows in fixed chunks, so an append
/// never copies the rows already held.
/// </summary>
internal sealed unsafe class OriginalStore : IDisposable
{
    private readonly int _dimension;
    private readonly Segment[] _segments;
    private readonly int[] _starts; // first ordinal of each segment
    private readonly string? _directory;
    private readonly int _mappedCount;
    private readonly List<float[]> _tail = [];
    private readonly int _chunkShift;
    private int _tailCount;

    public OriginalStore(int dimension)
        : this(dimension, null, [])
    {
    }

    private OriginalStore(int dimension, string? directory, Segment[] segments)
    {
        _dimension = dimension;
        _directory = directory;
        _segments = segments;
        _starts = new int[segments.Length];
        for (int i = 0; i < segments.Length; i++)
        {
            _starts[i] = _mappedCount;
            _mappedCount += segments[i].Rows;
        }
        // About 4 MiB per chunk, a power of two of rows so that a row's chunk is a shift away.
        _chunkShift = Math.Max(0, BitOperations.Log2((uint)Math.Max(1, (4 << 20) / (dimension * sizeof(float)))));
    }

    /// <summary>Maps the segments (column files of <see cref="ColumnKind.Originals"/> in <paramref name="directory"/>), in ordinal order.</summary>
    public static OriginalStore Map(string directory, IReadOnlyList<ColumnEntry> segments, int dimension)
    {
        var mapped = new List<Segment>(segments.Count);
        try
        {
            foreach (var entry in segments) mapped.Add(Segment.Map(Path.Combine(directory, entry.File), entry, dimension));
        }
        catch
        {
            foreach (var segment in mapped) segment.Dispose();
            throw;
        }
        return new OriginalStore(dimension, Path.GetFullPath(directory), [.. mapped]);
    }

    public int Count => _mappedCount + _tailCount;

    /// <summary>Rows held in RAM (the tail); mapped rows live in the page cache.</summary>
    public long HeapBytes => (long)_tail.Count * (_dimension << _chunkShift) * sizeof(float);

    public ReadOnlySpan<float> Row(int ordinal) => Rows(ordinal, ordinal + 1);

    /// <summary>
    /// The rows from <paramref name="from"/> on, up to <paramref name="to"/> or the end of the segment or tail chunk that
    /// holds <paramref name="from"/>, whichever comes first: one contiguous span.
    /// </summary>
    public ReadOnlySpan<float> Rows(int from, int to)
    {
        if (from < _mappedCount)
        {
            int s = _segments.Length == 1 ? 0 : Array.BinarySearch(_starts, from);
            if (s < 0) s = ~s - 1;
            int first = from - _starts[s], rows = Math.Min(to - from, _segments[s].Rows - first);
            return new ReadOnlySpan<float>(_segments[s].Data + (long)first * _dimension, rows * _dimension);
        }
        int t = from - _mappedCount, mask = (1 << _chunkShift) - 1;
        int taken = Math.Min(to - from, (mask + 1) - (t & mask));
        return new ReadOnlySpan<float>(_tail[t >> _chunkShift], (t & mask) * _dimension, taken * _dimension);
    }

    /// <summary>
    /// Asks for a row's cache lines ahead of its use (a graph build reads the rows of scattered neighbours). A prefetch
    /// never faults, so an address that a compacting GC has just made stale is harmless.
    /// </summary>
    public void Prefetch(int ordinal)
    {
        if (!Sse.IsSupported) return;
        var row = Row(ordinal);
        byte* at = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(row));
        for (int offset = 0; offset < row.Length * sizeof(float); offset += 64) Sse.Prefetch0(at + offset);
    }

    public void Append(ReadOnlySpan<float> row)
    {
        int mask = (1 << _chunkShift) - 1;
        if ((_tailCount >> _chunkShift) == _tail.Count) _tail.Add(GC.AllocateUninitializedArray<float>(_dimension << _chunkShift));
        row.CopyTo(_tail[_tailCount >> _chunkShift].AsSpan((_tailCount & mask) * _dimension, _dimension));
        _tailCount++;
    }

    /// <summary>
    /// The mapped segments, when they are files of <paramref name="directory"/>: a save there keeps them and writes only
    /// the rows after them. Empty for another directory (a save there writes every row).
    /// </summary>
    public IReadOnlyList<ColumnEntry> SegmentsIn(string directory) =>
        _directory == Path.GetFullPath(directory) ? [.. _segments.Select(s => s.Entry)] : [];

    /// <summary>
    /// Checks every mapped segment against the checksum the manifest recorded for it (one sequential read of the
    /// originals), throwing <see cref="CorruptFileException"/> naming the first damaged file: for whoever is about to
    /// build something lasting from the originals (compaction). Opening never does this, so it stays cheap.
    /// </summary>
    public void VerifySegments()
    {
        for (int s = 0; s < _segments.Length; s++)
        {
            var segment = _segments[s];
            var hash = new XxHash3();
            long floats = (long)segment.Rows * _dimension;
            for (long done = 0; done < floats;)
            {
                int step = (int)Math.Min(1 << 20, floats - done);
                hash.Append(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(segment.Data + done, step)));
                done += step;
            }
            ulong actual = hash.GetCurrentHashAsUInt64();
            if (actual != segment.Entry.Checksum)
                throw new CorruptFileException(Path.Combine(_directory!, segment.Entry.File),
                    $"the originals of ordinals {_starts[s]}..{_starts[s] + segment.Rows - 1} fail their checksum (stored {segment.Entry.Checksum:x16}, computed {actual:x16}): the data is damaged.", null);
        }
    }

    public void Dispose()
    {
        foreach (var segment in _segments) segment.Dispose();
    }

    /// <summary>One mapped segment file.</summary>
    private sealed class Segment : IDisposable
    {
        private readonly MemoryMappedFile _map;
        private readonly MemoryMappedViewAccessor _view;

        private Segment(MemoryMappedFile map, MemoryMappedViewAccessor view, ColumnEntry entry, int rows)
        {
            _map = map;
            _view = view;
            Entry = entry;
            Rows = rows;
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            Data = (float*)(basePtr + view.PointerOffset + ColumnFile.HeaderSize);
        }

        public ColumnEntry Entry { get; }

        public int Rows { get; }

        public float* Data { get; }

        public static Segment Map(string path, ColumnEntry entry, int dimension)
        {
            var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            try
            {
                return new Segment(map, map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read), entry, (int)(entry.Count / dimension));
            }
            catch
            {
                map.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map.Dispose();
        }
    }
}
