using System.IO.MemoryMappedFiles;

namespace BitSieve.Storage;

/// <summary>
/// The float32 originals (T3), addressed by ordinal: a memory-mapped segment from disk (never required to fit in RAM)
/// followed by an in-memory tail of rows appended since the collection was opened.
/// </summary>
internal sealed unsafe class OriginalStore : IDisposable
{
    private readonly int _dimension;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly float* _mapped;
    private readonly int _mappedCount;
    private float[] _tail = [];
    private int _tailCount;

    public OriginalStore(int dimension) => _dimension = dimension;

    private OriginalStore(int dimension, MemoryMappedFile map, MemoryMappedViewAccessor view, long offset, int count)
    {
        _dimension = dimension;
        _map = map;
        _view = view;
        byte* basePtr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        _mapped = (float*)(basePtr + view.PointerOffset + offset);
        _mappedCount = count;
    }

    /// <summary>Maps <paramref name="count"/> rows starting at byte <paramref name="offset"/> of a file.</summary>
    public static OriginalStore Map(string path, long offset, int dimension, int count)
    {
        if (count == 0) return new OriginalStore(dimension);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new OriginalStore(dimension, map, view, offset, count);
    }

    public int Count => _mappedCount + _tailCount;

    /// <summary>Rows held in RAM (the tail); mapped rows live in the page cache.</summary>
    public long HeapBytes => (long)_tail.Length * sizeof(float);

    public ReadOnlySpan<float> Row(int ordinal)
    {
        if (ordinal < _mappedCount) return new ReadOnlySpan<float>(_mapped + (long)ordinal * _dimension, _dimension);
        return new ReadOnlySpan<float>(_tail, (ordinal - _mappedCount) * _dimension, _dimension);
    }

    public void Append(ReadOnlySpan<float> row)
    {
        long needed = (long)(_tailCount + 1) * _dimension;
        if (needed > _tail.Length)
        {
            long capacity = Math.Max(needed, Math.Max(1024L * _dimension, _tail.Length * 3L / 2));
            if (capacity > Array.MaxLength) capacity = Math.Max(needed, Array.MaxLength / _dimension * _dimension);
            if (needed > Array.MaxLength) throw new InvalidOperationException("The in-memory tail of originals is full; save and reopen the collection.");
            Array.Resize(ref _tail, (int)capacity);
        }
        row.CopyTo(_tail.AsSpan(_tailCount * _dimension, _dimension));
        _tailCount++;
    }

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
