using BitSieve.Storage;

namespace BitSieve.Search;

/// <summary>
/// A filter's points as a search over a <see cref="VectorIndex"/> needs them: the keys the filter allows (or, for a
/// filter that allows nearly everything, the ones it rejects), turned into a bitmap over the index's ordinals once and
/// kept for every later search of the same filter at the same state. Turning keys into ordinals is a dictionary lookup
/// per key (tens of thousands at half of a large collection, where a traversal estimates a few thousand nodes), so a
/// collection keeps one set per cached filter (<see cref="Filters.FilterKeys.Allowed"/>) and every search with that
/// filter reads the same bitmap. The bitmap is made again when the index's points changed since (another index, more ordinals, more
/// tombstones: every write that changes which ordinal is live moves one of them). Thread-safe: concurrent searches may
/// each make it once, and then share whichever was published.
/// </summary>
/// <param name="keys">The allowed keys, or, with <paramref name="rejected"/>, the rejected ones; ids that are not live are ignored.</param>
/// <param name="rejected">Whether <paramref name="keys"/> are the points the filter rejects (every other live point is allowed).</param>
internal sealed class AllowedSet(IEnumerable<ulong> keys, bool rejected)
{
    private Resolution? _resolution;

    /// <summary>The keys as given.</summary>
    public IEnumerable<ulong> Keys { get; } = keys ?? throw new ArgumentNullException(nameof(keys));

    /// <summary>Whether <see cref="Keys"/> are the rejected points.</summary>
    public bool Rejected { get; } = rejected;

    /// <summary>
    /// The allowed ordinals of <paramref name="columns"/> (one bit each) and how many there are, from the resolution
    /// kept for this state or a new one; the caller holds the index's read lock.
    /// <see cref="Resolution.Bits"/> is null when every live point is allowed: the search is then the unfiltered one.
    /// </summary>
    internal Resolution Resolve(VectorColumns columns, Dictionary<ulong, int> ordinals)
    {
        if (Volatile.Read(ref _resolution) is { } kept && kept.Fits(columns)) return kept;
        var made = Resolution.Make(columns, ordinals, Keys, Rejected);
        Volatile.Write(ref _resolution, made);
        return made;
    }

    /// <summary>One state's allowed ordinals.</summary>
    /// <param name="Columns">The columns it was made from.</param>
    /// <param name="Count">Their ordinal count then.</param>
    /// <param name="Deleted">Their tombstones then.</param>
    /// <param name="Bits">The allowed ordinals, one bit each; null when every live point is allowed.</param>
    /// <param name="Allowed">How many live points are allowed.</param>
    internal sealed record Resolution(VectorColumns Columns, int Count, int Deleted, ulong[]? Bits, int Allowed)
    {
        // Ordinals are only appended and tombstones only added within one columns object (compaction makes new columns),
        // so equal counts mean the same live ordinals and the same key of each.
        public bool Fits(VectorColumns columns) => ReferenceEquals(columns, Columns) && columns.Count == Count && columns.DeletedCount == Deleted;

        public static Resolution Make(VectorColumns columns, Dictionary<ulong, int> ordinals, IEnumerable<ulong> keys, bool rejected)
        {
            int count = columns.Count;
            var bits = new ulong[(count + 63) >> 6];
            int allowed = 0;
            if (rejected)
            {
                for (int ord = 0; ord < count; ord++)
                    if (!columns.IsDeleted(ord)) bits[ord >> 6] |= 1UL << (ord & 63);
                allowed = columns.LiveCount;
                foreach (ulong key in keys)
                {
                    if (!ordinals.TryGetValue(key, out int ord) || (bits[ord >> 6] & (1UL << (ord & 63))) == 0) continue;
                    bits[ord >> 6] &= ~(1UL << (ord & 63));
                    allowed--;
                }
            }
            else
            {
                foreach (ulong key in keys)
                {
                    if (!ordinals.TryGetValue(key, out int ord) || (bits[ord >> 6] & (1UL << (ord & 63))) != 0) continue;
                    bits[ord >> 6] |= 1UL << (ord & 63);
                    allowed++;
                }
            }
            return new Resolution(columns, count, columns.DeletedCount, allowed == columns.LiveCount ? null : bits, allowed);
        }
    }
}
