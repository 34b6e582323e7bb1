using BitSieve.Storage;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Thrown by <see cref="PowerLossDisk"/> at the moment it cuts the power, and by every later step: the process is dead.
/// An <see cref="IOException"/>, as a failing disk's would be, so that the code under test unwinds (closes its handles,
/// releases its lock) the way it does on any I/O error; whatever it tries after the cut fails too, so nothing it does
/// then can make a write durable.
/// </summary>
internal sealed class PowerCutException() : IOException("The power was cut.");

/// <summary>How much of what was written but not fsynced survives a power cut.</summary>
internal enum TornWrites
{
    /// <summary>None: a file holds exactly what its last fsync made durable.</summary>
    None,

    /// <summary>A prefix of the unsynced bytes, at 512-byte sector granularity, landed (in the order the file holds them).</summary>
    SectorPrefix,

    /// <summary>As <see cref="SectorPrefix"/>, and the file's new length landed too, the sectors beyond the prefix reading as zeros.</summary>
    SectorPrefixZeroFilled,
}

/// <summary>
/// A model of a disk under one directory that can lose power, for BitSieve's own files (installed as
/// <see cref="StorageFiles.Current"/>), in the manner of SQLite's crash-testing VFS. Files live on the real disk, so
/// everything reads them as usual; beside them the model keeps what a power loss would leave: for each file (an
/// inode: names are only directory entries) its bytes as of its last fsync, and the directory entries as of each
/// directory's last fsync (a file created, renamed or deleted is so durably only after that; until then each such change
/// may or may not survive). Every step that changes
/// durability — create, fsync, rename, delete, directory fsync — is counted, and at step <see cref="CutAt"/> the power
/// fails: that step and every later one throws <see cref="PowerCutException"/>. Once the caller has abandoned its
/// objects, <see cref="RestoreDurableState"/> rewrites the files under the directory to what the disk would hold after
/// the power came back. Files of others (SQLite's <c>points.db</c>, <c>LOCK</c>) are not modelled: they keep what they hold.
/// Paths outside the directory pass through to the operating system.
/// </summary>
internal sealed class PowerLossDisk : StorageFiles
{
    private const int Sector = 512;

    private sealed class Inode(byte[] durable)
    {
        /// <summary>The bytes as of the last fsync (empty for a file never fsynced).</summary>
        public byte[] Durable = durable;
    }

    private readonly string _root;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Inode> _live = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Inode> _durable = new(StringComparer.Ordinal);
    private readonly Dictionary<FileStream, Inode> _open = [];

    /// <summary>A change of directory entries not yet made durable: a name added, removed, or both at once (a rename).</summary>
    private sealed record EntryChange(string? Removed, string? Added, Inode Inode);

    /// <summary>The entry changes since their directory's last fsync, in the order they were made.</summary>
    private readonly List<EntryChange> _pending = [];

    /// <summary>Models the files now under <paramref name="root"/> (except SQLite's and the lock's) as durable.</summary>
    public PowerLossDisk(string root)
    {
        _root = Path.GetFullPath(root);
        foreach (string file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
        {
            if (!Modelled(file)) continue;
            var inode = new Inode(File.ReadAllBytes(file));
            _live[file] = inode;
            _durable[file] = inode;
        }
    }

    /// <summary>The step (1-based) at which the power fails; never when 0.</summary>
    public long CutAt { get; set; }

    /// <summary>Steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Whether the power has been cut.</summary>
    public bool IsCut { get; private set; }

    /// <summary>Cuts the power now (between steps).</summary>
    public void Cut()
    {
        lock (_gate) IsCut = true;
    }

    public override FileStream Create(string path, int bufferSize = 4096)
    {
        if (!Step(ref path)) return base.Create(path, bufferSize);
        lock (_gate)
        {
            // Reading back at fsync needs a readable handle.
            var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize);
            // Truncating an existing file keeps its inode; a new name gets a new, empty one.
            if (!_live.TryGetValue(path, out var inode))
            {
                _live[path] = inode = new Inode([]);
                _pending.Add(new EntryChange(null, path, inode));
            }
            _open[stream] = inode;
            return stream;
        }
    }

    public override FileStream OpenForWriting(string path)
    {
        string full = Path.GetFullPath(path);
        if (!Under(full)) return base.OpenForWriting(path);
        lock (_gate)
        {
            if (IsCut) throw new PowerCutException();
            var stream = base.OpenForWriting(full);
            _open[stream] = _live[full];
            return stream;
        }
    }

    public override void Sync(FileStream stream)
    {
        Inode? inode;
        lock (_gate) _open.TryGetValue(stream, out inode);
        if (inode is null)
        {
            base.Sync(stream);
            return;
        }
        string path = stream.Name;
        if (!Step(ref path)) return;
        lock (_gate)
        {
            stream.Flush(flushToDisk: false);
            var bytes = new byte[RandomAccess.GetLength(stream.SafeFileHandle)];
            RandomAccess.Read(stream.SafeFileHandle, bytes, 0);
            inode.Durable = bytes;
        }
    }

    public override void SyncFile(string path)
    {
        // SQLite's WAL, fsynced by a checkpoint that readers keep from emptying it: a step at which the power may fail,
        // but its bytes are not modelled (SQLite's files keep what they hold).
        Step(ref path);
        base.SyncFile(path);
    }

    public override void Replace(string source, string destination)
    {
        if (!Step(ref destination)) base.Replace(source, destination);
        else
        {
            lock (_gate)
            {
                source = Path.GetFullPath(source);
                base.Replace(source, destination);
                if (_live.Remove(source, out var inode))
                {
                    _live[destination] = inode;
                    _pending.Add(new EntryChange(source, destination, inode));
                }
            }
        }
    }

    public override void Delete(string path)
    {
        if (!Step(ref path)) base.Delete(path);
        else
        {
            lock (_gate)
            {
                base.Delete(path);
                if (_live.Remove(path, out var inode)) _pending.Add(new EntryChange(path, null, inode));
            }
        }
    }

    public override void CreateDirectory(string path)
    {
        // Directories are not modelled: BitSieve creates them only when it creates a collection (see docs/storage.md).
        if (Step(ref path)) lock (_gate) base.CreateDirectory(path);
        else base.CreateDirectory(path);
    }

    public override void SyncDirectory(string directory)
    {
        if (!Step(ref directory))
        {
            base.SyncDirectory(directory);
            return;
        }
        lock (_gate)
        {
            string prefix = directory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            bool InDirectory(string p) => p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf(Path.DirectorySeparatorChar, prefix.Length) < 0;
            foreach (string gone in _durable.Keys.Where(InDirectory).Where(p => !_live.ContainsKey(p)).ToList()) _durable.Remove(gone);
            foreach (var (p, inode) in _live.Where(e => InDirectory(e.Key))) _durable[p] = inode;
            _pending.RemoveAll(c => (c.Removed is not null && InDirectory(c.Removed)) || (c.Added is not null && InDirectory(c.Added)));
        }
    }

    /// <summary>
    /// After the power cut (and after every object holding the files is disposed): makes the files under the directory
    /// what the disk holds when the power comes back: the durable directory entries — and, with
    /// <paramref name="someEntriesLand"/>, a random subset of the changes made since their directory's last fsync (a
    /// file system may write any of them before it is asked to: a rename lands whole or not at all) — each file with its
    /// durable bytes and, as <paramref name="torn"/> says, part of what was written after them. Returns what it did,
    /// for the test's log.
    /// </summary>
    public string RestoreDurableState(TornWrites torn, bool someEntriesLand, Random random)
    {
        lock (_gate)
        {
            IsCut = true;
            var report = new List<string>();
            foreach (var change in _pending)
            {
                if (!someEntriesLand || random.Next(2) == 0) continue;
                if (change.Removed is not null && _durable.GetValueOrDefault(change.Removed) == change.Inode) _durable.Remove(change.Removed);
                if (change.Added is not null) _durable[change.Added] = change.Inode;
                report.Add($"landed: {Path.GetFileName(change.Removed)} → {Path.GetFileName(change.Added)}");
            }
            // What each live file holds now (the OS's cache, lost with the power but for the torn part).
            var current = new Dictionary<Inode, byte[]>();
            foreach (var (path, inode) in _live)
                if (File.Exists(path)) current[inode] = File.ReadAllBytes(path);
            foreach (string path in _live.Keys.Concat(_durable.Keys).Distinct().ToList()) File.Delete(path);
            foreach (var (path, inode) in _durable)
            {
                byte[] bytes = inode.Durable;
                if (torn != TornWrites.None && current.TryGetValue(inode, out var now) && !now.AsSpan().SequenceEqual(bytes))
                {
                    bytes = Torn(inode.Durable, now, torn, random);
                    report.Add($"{Path.GetFileName(path)}: {inode.Durable.Length} durable + torn → {bytes.Length}");
                }
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, bytes);
            }
            var lost = _live.Keys.Where(p => !_durable.ContainsKey(p)).Select(Path.GetFileName).ToList();
            var back = _durable.Keys.Where(p => !_live.ContainsKey(p)).Select(Path.GetFileName).ToList();
            if (lost.Count > 0) report.Add("names lost: " + string.Join(", ", lost));
            if (back.Count > 0) report.Add("names back: " + string.Join(", ", back));
            return string.Join("; ", report);
        }
    }

    /// <summary>The durable bytes overlaid by a sector-granular prefix of the bytes written since.</summary>
    private static byte[] Torn(byte[] durable, byte[] now, TornWrites torn, Random random)
    {
        int common = durable.AsSpan().CommonPrefixLength(now);
        int firstSector = common / Sector;
        int lastSector = (now.Length + Sector - 1) / Sector;
        int landed = Math.Min(now.Length, random.Next(firstSector, lastSector + 1) * Sector);
        int length = Math.Max(landed, durable.Length);
        if (torn == TornWrites.SectorPrefixZeroFilled) length = Math.Max(length, now.Length);
        var bytes = new byte[length];
        durable.AsSpan(0, Math.Min(durable.Length, length)).CopyTo(bytes);
        now.AsSpan(0, landed).CopyTo(bytes);
        return bytes;
    }

    /// <summary>
    /// Counts one step on a path under the directory (normalising it) and cuts the power when it is the chosen one;
    /// false for a path outside the directory (passed through, not counted).
    /// </summary>
    private bool Step(ref string path)
    {
        string full = Path.GetFullPath(path);
        if (!Under(full)) return false;
        path = full;
        lock (_gate)
        {
            if (IsCut) throw new PowerCutException();
            Steps++;
            if (Steps == CutAt)
            {
                IsCut = true;
                throw new PowerCutException();
            }
        }
        return true;
    }

    private bool Under(string full) => full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || full == _root;

    private static bool Modelled(string path)
    {
        string name = Path.GetFileName(path);
        return !name.StartsWith(PointStore.FileName, StringComparison.Ordinal) && !name.StartsWith("LOCK", StringComparison.Ordinal);
    }
}
