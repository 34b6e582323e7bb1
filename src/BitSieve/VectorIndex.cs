using System.Numerics.Tensors;
using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve;

/// <summary>Bytes per vector, by tier, as the engine holds them.</summary>
/// <param name="T1">Sign codes (1 bit per dimension, padded to 64-bit words).</param>
/// <param name="T2">The extended code's bit planes (sign plane included: a T1 code is stored in FastScan blocks, so T2 keeps
/// its own copy of the sign bits to read a candidate from one place).</param>
/// <param name="Factors">Per-vector correction factors of both tiers.</param>
/// <param name="T3">Float32 originals (memory-mapped from disk once saved; not counted as resident).</param>
public readonly record struct TierBytes(int T1, int T2, int Factors, int T3)
{
    /// <summary>What must stay in RAM for a search: T1 + T2 + factors.</summary>
    public int Resident => T1 + T2 + Factors;
}

/// <summary>
/// A collection of vectors kept at several precisions, searched by the dynamic cascade.
/// Thread-safety: any number of concurrent searches; writes are serialized and exclude searches while they run.
/// </summary>
internal sealed partial class VectorIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<ulong, int> _ordinals = [];
    private readonly VectorColumns _columns;
    private Quantizer _quantizer;
    private bool _trained;
    private int _liveAtTraining;
    // Running sums over live points, to see when the data has drifted away from the centroid.
    private double[] _sum;
    private double _sumSquares;
    private bool _disposed;

    private VectorIndex(CollectionOptions options, Quantizer quantizer, VectorColumns columns, bool trained)
    {
        Options = options;
        _quantizer = quantizer;
        _columns = columns;
        _trained = trained;
        _sum = new double[options.Dimension];
    }

    /// <summary>Creates an empty collection in memory.</summary>
    public static VectorIndex Create(CollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var quantizer = new Quantizer(options.Dimension, options.Metric, options.Bits, options.RotationSeed, new float[options.Dimension]);
        var columns = new VectorColumns(options.Dimension, quantizer.Words, quantizer.RefineBytes, new OriginalStore(options.Dimension));
        return new VectorIndex(options, quantizer, columns, trained: false);
    }

    /// <summary>The options the collection was created with.</summary>
    public CollectionOptions Options { get; }

    /// <summary>The dimension of every vector.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>Live points.</summary>
    public int Count => Read(() => _columns.LiveCount);

    /// <summary>The ids of the live points.</summary>
    internal HashSet<ulong> LiveKeys() => Read(() => _ordinals.Keys.ToHashSet());

    /// <summary>The count and key sums of the live keys (<see cref="PointSetSums"/>), to compare with the points database's.</summary>
    internal PointSetSums KeySums() => Read(() => PointSetSums.OfKeys(_ordinals.Keys));

    /// <summary>Deleted points whose codes stay in the columns until the index is compacted.</summary>
    public int Tombstones => Read(() => _columns.DeletedCount);

    /// <summary>Bytes per vector by tier.</summary>
    public TierBytes BytesPerVector => _columns.BytesPerVector;

    /// <summary>Whether the centroid has been trained on the data (after <see cref="CollectionOptions.TrainingSize"/> points).</summary>
    public bool IsTrained => Read(() => _trained);

    /// <summary>The centroid the codes are centred on.</summary>
    public float[] Centroid => Read(() => (float[])_quantizer.Centroid.Clone());

    /// <summary>
    /// The sequence number of the last write-ahead-log record this index includes, as given to <see cref="Save"/> and
    /// read back by <see cref="Open(string, bool)"/> (0 when the index is not kept by a durable collection).
    /// </summary>
    public long LogSequence { get; private set; }

    /// <summary>Whether a live point has this id.</summary>
    public bool Contains(ulong id) => Read(() => _ordinals.ContainsKey(id));

    /// <summary>The stored vector of a point (normalized under cosine).</summary>
    public float[] GetVector(ulong id) => Read(() =>
        _ordinals.TryGetValue(id, out int ord) ? _columns.Originals.Row(ord).ToArray() : throw UnknownId(id));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _lock.EnterWriteLock();
        try
        {
            _disposed = true;
            _columns.Dispose();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        // The lock itself is not disposed: searches may still be waiting on it, and they must see
        // ObjectDisposedException rather than a lock failure. It holds no unmanaged resources of its own.
    }

    private T Read<T>(Func<T> read)
    {
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return read();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Checks a vector as a write would (dimension, finite components, non-zero under cosine) without storing it.
    /// Throws <see cref="ArgumentException"/> naming the problem and <paramref name="what"/>.
    /// </summary>
    public void Validate(ReadOnlySpan<float> vector, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(what);
        var scratch = vector.Length == Dimension && Dimension <= 1024 ? stackalloc float[Dimension] : new float[Math.Max(vector.Length, 1)];
        Prepare(vector, scratch, what);
    }

    private static KeyNotFoundException UnknownId(ulong id) => new($"No point with id {id} in the collection.");

    /// <summary>
    /// Checks a vector and writes the form that is stored and searched (normalized under cosine) to
    /// <paramref name="destination"/>. Throws <see cref="ArgumentException"/> naming the problem.
    /// </summary>
    private void Prepare(ReadOnlySpan<float> vector, Span<float> destination, string what)
    {
        if (vector.Length != Dimension)
            throw new ArgumentException($"The {what} has {vector.Length} dimensions; the collection expects {Dimension}.", what);
        for (int i = 0; i < vector.Length; i++)
            if (!float.IsFinite(vector[i]))
                throw new ArgumentException($"Component {i} of the {what} is {vector[i]}; only finite numbers are accepted.", what);
        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm))
            throw new ArgumentException($"The {what}'s norm overflows float32; scale it down.", what);
        if (Options.Metric == Metric.Cosine)
        {
            if (norm == 0) throw new ArgumentException($"The {what} is all zeros, which has no direction under the cosine metric.", what);
            TensorPrimitives.Divide(vector, norm, destination);
        }
        else
        {
            vector.CopyTo(destination);
        }
    }
}
