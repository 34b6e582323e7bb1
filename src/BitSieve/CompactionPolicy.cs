namespace BitSieve;

/// <summary>
/// The rule by which a writer compacts a collection in the background: once at least <see cref="MinTombstones"/> rows
/// of its vector index are tombstones (deleted or replaced points) and they are at least
/// <see cref="TombstoneFraction"/> of all rows. The rule is about the index's own rows, not about any data set: with
/// the defaults, a collection's columns, originals and scan time stay within 1 / (1 − 0.2) = 1.25× of its live points
/// (plus what arrives during one compaction).
/// </summary>
public sealed record CompactionPolicy
{
    /// <summary>Deleted rows ≥ 20 % of all rows, and at least 1,000 of them.</summary>
    public static CompactionPolicy Default { get; } = new();

    /// <summary>Fraction of the index's rows (live + deleted) that must be deleted, above 0 and at most 1; 0.2 by default.</summary>
    public double TombstoneFraction { get; init; } = 0.2;

    /// <summary>Fewest deleted rows worth a compaction (a small collection rewrites cheaply but often); 1,000 by default.</summary>
    public int MinTombstones { get; init; } = 1000;

    /// <summary>Whether an index with <paramref name="tombstones"/> deleted rows out of <paramref name="rows"/> is due.</summary>
    internal bool IsDue(long tombstones, long rows) =>
        tombstones >= MinTombstones && tombstones >= TombstoneFraction * rows;

    internal void Validate()
    {
        if (!(TombstoneFraction > 0 && TombstoneFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(TombstoneFraction), TombstoneFraction, "TombstoneFraction must be above 0 and at most 1.");
        if (MinTombstones < 1)
            throw new ArgumentOutOfRangeException(nameof(MinTombstones), MinTombstones, "MinTombstones must be at least 1.");
    }
}
