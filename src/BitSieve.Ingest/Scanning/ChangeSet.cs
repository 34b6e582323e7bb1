namespace BitSieve.Ingest.Scanning;

/// <summary>A file that moved: the same content, no longer at its old path, now at a new one.</summary>
/// <param name="FromPath">The relative path it was indexed under.</param>
/// <param name="To">The file at its new path.</param>
internal sealed record FileMove(string FromPath, ScannedFile To);

/// <summary>
/// What re-indexing has to do, given what the index holds (relative path → content hash) and a fresh
/// <see cref="FolderScan"/>. Paths compare ordinally (case-sensitive).
/// </summary>
/// <param name="Added">New paths with content the index does not hold at a vanished path: load, chunk and embed.</param>
/// <param name="Changed">Known paths whose hash differs: replace their chunks.</param>
/// <param name="Unchanged">Known paths with the same hash: nothing to do.</param>
/// <param name="Deleted">Known paths that are gone (and did not move): delete their chunks.</param>
/// <param name="Moved">Known content that vanished from one path and appeared at another: re-point the chunks, no re-embedding.</param>
/// <param name="Unreadable">Known paths the scan found but could not read: keep their chunks, neither deleted nor changed.</param>
internal sealed record ChangeSet(
    IReadOnlyList<ScannedFile> Added,
    IReadOnlyList<ScannedFile> Changed,
    IReadOnlyList<ScannedFile> Unchanged,
    IReadOnlyList<string> Deleted,
    IReadOnlyList<FileMove> Moved,
    IReadOnlyList<string> Unreadable)
{
    /// <summary>True when the index is up to date.</summary>
    public bool IsEmpty => Added.Count == 0 && Changed.Count == 0 && Deleted.Count == 0 && Moved.Count == 0;

    /// <summary>Compares a scan with the indexed state.</summary>
    public static ChangeSet Compute(IReadOnlyDictionary<string, string> previous, FolderScan scan)
    {
        ArgumentNullException.ThrowIfNull(scan);
        return Compute(previous, scan.Files, scan.Problems.Select(p => p.RelativePath));
    }

    /// <summary>
    /// Compares current files with the indexed state. A deleted path and an added path with the same hash pair up as a
    /// move; with several candidates they pair in path order. A file copied (the old path still there) is an addition.
    /// </summary>
    /// <param name="previous">The indexed state: relative path → hash.</param>
    /// <param name="current">The files found now.</param>
    /// <param name="unreadable">Paths found now but not readable; a known one is reported as <see cref="Unreadable"/>, not deleted.</param>
    public static ChangeSet Compute(IReadOnlyDictionary<string, string> previous, IEnumerable<ScannedFile> current, IEnumerable<string>? unreadable = null)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        var added = new List<ScannedFile>();
        var changed = new List<ScannedFile>();
        var unchanged = new List<ScannedFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ScannedFile file in current.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
        {
            if (!seen.Add(file.RelativePath))
                throw new ArgumentException($"The path '{file.RelativePath}' appears twice.", nameof(current));
            if (!previous.TryGetValue(file.RelativePath, out string? oldHash))
                added.Add(file);
            else if (string.Equals(oldHash, file.Hash, StringComparison.OrdinalIgnoreCase))
                unchanged.Add(file);
            else
                changed.Add(file);
        }

        var unreadableKnown = new List<string>();
        foreach (string path in unreadable ?? [])
        {
            if (previous.ContainsKey(path) && !seen.Contains(path) && seen.Add(path))
                unreadableKnown.Add(path);
        }

        var deleted = previous.Keys.Where(p => !seen.Contains(p)).Order(StringComparer.Ordinal).ToList();

        // Pair vanished content with new paths holding the same content.
        var moved = new List<FileMove>();
        if (deleted.Count > 0 && added.Count > 0)
        {
            var addedByHash = added.GroupBy(f => f.Hash, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => new Queue<ScannedFile>(g), StringComparer.OrdinalIgnoreCase);
            var stillDeleted = new List<string>();
            var movedTo = new HashSet<ScannedFile>(ReferenceEqualityComparer.Instance);
            foreach (string path in deleted)
            {
                if (addedByHash.TryGetValue(previous[path], out Queue<ScannedFile>? candidates) && candidates.Count > 0)
                {
                    ScannedFile to = candidates.Dequeue();
                    moved.Add(new FileMove(path, to));
                    movedTo.Add(to);
                }
                else
                    stillDeleted.Add(path);
            }
            deleted = stillDeleted;
            added = [.. added.Where(f => !movedTo.Contains(f))];
        }

        unreadableKnown.Sort(StringComparer.Ordinal);
        return new ChangeSet(added, changed, unchanged, deleted, moved, unreadableKnown);
    }
}
