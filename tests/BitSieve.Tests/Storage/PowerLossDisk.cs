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
/// A model of a disk under one directory that can lose power, for BitSieve's own files and directories (installed as
/// <see cref="StorageFiles.Current"/>), in the manner of SQLite's crash-testing VFS. Files live on the real disk, so
/// everything reads them as usual; beside them the model keeps what a power loss would leave: for each file (an inode:
/// names are only directory entries) its bytes as of its last fsync, and for each directory (an inode too) its entries
/// as of its last fsync — a file or directory created, renamed or deleted is so durably only after its parent is synced;
/// until then each such change may or may not survive. Every step that changes durability — create, fsync, rename,
/// delete, directory creation, rename and deletion, directory fsync — is counted, and at step <see cref="CutAt"/> the
/// power fails: that step and every later one throws <see cref="PowerCutException"/>. Once the caller has abandoned its
/// objects, <see cref="RestoreDurableState"/> rewrites the tree under the directory to what the disk would hold after
/// the power came back. Files of others (SQLite's <c>points.db</c> and its <c>-wal</c>, <c>-shm</c>, <c>LOCK</c>) are
/// not modelled: they keep what they hold and go wherever the durable state puts their directory (nowhere when it is
/// lost). Paths outside the directory pass through to the operating system.
/// </summary>
internal sealed class PowerLossDisk : StorageFiles
{
    private const int Sector = 512;

    private abstract class Node;

    private sealed class FileNode(byte[] durable) : Node
    {
        /// <summary>The bytes as of the last fsync (empty for a file never fsynced).</summary>
        public byte[] Durable = durable;
    }

    private sealed class DirectoryNode : Node
    {
        /// <summary>The entries now.</summary>
        public Dictionary<string, Node> Live { get; } = new(StringComparer.Ordinal);

        /// <summary>The entries as of the last fsync of this directory (and the changes that landed at the cut).</summary>
        public Dictionary<string, Node> Durable { get; set; } = new(StringComparer.Ordinal);
    }

    private readonly string _root;
    private readonly Lock _gate = new();
    private readonly DirectoryNode _top = new();
    private readonly Dictionary<FileStream, FileNode> _open = [];

    /// <summary>A change of one directory's entries not yet made durable: a name added, removed, or both at once (a rename).</summary>
    private sealed record EntryChange(DirectoryNode Parent, string? Removed, string? Added, Node Node);

    /// <summary>The entry changes since their directory's last fsync, in the order they were made.</summary>
    private readonly List<EntryChange> _pending = [];

    /// <summary>Models the files (except SQLite's and the lock's) and directories now under <paramref name="root"/> as durable.</summary>
    public PowerLossDisk(string root)
    {
        _root = Path.GetFullPath(root);
        Load(_top, _root);
    }

    private static void Load(DirectoryNode node, string path)
    {
        foreach (string directory in Directory.EnumerateDirectories(path))
        {
            var child = new DirectoryNode();
            Load(child, directory);
            node.Live[Path.GetFileName(directory)] = child;
        }
        foreach (string file in Directory.EnumerateFiles(path).Where(Modelled))
            node.Live[Path.GetFileName(file)] = new FileNode(File.ReadAllBytes(file));
        node.Durable = new(node.Live, StringComparer.Ordinal);
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
            var (parent, name) = Parent(path);
            // Reading back at fsync needs a readable handle.
            var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize);
            // Truncating an existing file keeps its inode; a new name gets a new, empty one.
            if (parent.Live.GetValueOrDefault(name) is not FileNode inode)
            {
                parent.Live[name] = inode = new FileNode([]);
                _pending.Add(new EntryChange(parent, null, name, inode));
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
            var (parent, name) = Parent(full);
            var inode = (FileNode)parent.Live[name];
            var stream = base.OpenForWriting(full);
            _open[stream] = inode;
            return stream;
        }
    }

    public override void Sync(FileStream stream)
    {
        FileNode? inode;
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
        else lock (_gate) Rename(Path.GetFullPath(source), destination, () => base.Replace(source, destination));
    }

    public override void MoveDirectory(string source, string destination)
    {
        if (!Step(ref destination)) base.MoveDirectory(source, destination);
        else lock (_gate) Rename(Path.GetFullPath(source), destination, () => base.MoveDirectory(source, destination));
    }

    /// <summary>A rename within one directory (all BitSieve makes): the entry moves whole, durably once that directory is synced.</summary>
    private void Rename(string source, string destination, Action rename)
    {
        var (from, oldName) = Parent(source);
        var (to, newName) = Parent(destination);
        if (from != to) throw new NotSupportedException($"The model renames within one directory only: '{source}' → '{destination}'.");
        rename();
        if (from.Live.Remove(oldName, out var node))
        {
            from.Live[newName] = node;
            _pending.Add(new EntryChange(from, oldName, newName, node));
        }
    }

    public override void Delete(string path)
    {
        if (!Step(ref path)) base.Delete(path);
        else lock (_gate) Unlink(path, () => base.Delete(path));
    }

    public override void DeleteDirectory(string path)
    {
        if (!Step(ref path)) base.DeleteDirectory(path);
        // The directory's own entries are not synced before it goes: if its removal does not land, it comes back as it
        // was durably.
        else lock (_gate) Unlink(path, () => base.DeleteDirectory(path));
    }

    private void Unlink(string path, Action delete)
    {
        var (parent, name) = Parent(path);
        delete();
        if (parent.Live.Remove(name, out var node)) _pending.Add(new EntryChange(parent, name, null, node));
    }

    public override void CreateDirectory(string path)
    {
        if (!Step(ref path))
        {
            base.CreateDirectory(path);
            return;
        }
        lock (_gate)
        {
            base.CreateDirectory(path);
            var node = _top;
            foreach (string name in Path.GetRelativePath(_root, path).Split(Path.DirectorySeparatorChar).Where(n => n is not ("." or "")))
            {
                if (node.Live.GetValueOrDefault(name) is not DirectoryNode child)
                {
                    node.Live[name] = child = new DirectoryNode();
                    _pending.Add(new EntryChange(node, null, name, child));
                }
                node = child;
            }
        }
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
            var node = DirectoryAt(directory);
            node.Durable = new(node.Live, StringComparer.Ordinal);
            _pending.RemoveAll(c => c.Parent == node);
        }
    }

    /// <summary>
    /// After the power cut (and after every object holding the files is disposed): makes the tree under the directory
    /// what the disk holds when the power comes back: the durable directory entries — and, with
    /// <paramref name="someEntriesLand"/>, a random subset of the changes made since their directory's last fsync (a
    /// file system may write any of them before it is asked to: a rename lands whole or not at all) — each file with its
    /// durable bytes and, as <paramref name="torn"/> says, part of what was written after them; SQLite's files and the
    /// lock in whichever directory holds them now, wherever that directory lands. Returns what it did, for the test's log.
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
                if (change.Removed is not null && change.Parent.Durable.GetValueOrDefault(change.Removed) == change.Node) change.Parent.Durable.Remove(change.Removed);
                if (change.Added is not null) change.Parent.Durable[change.Added] = change.Node;
                report.Add($"landed: {change.Removed} → {change.Added}");
            }
            // What each live file holds now (the OS's cache, lost with the power but for the torn part), and the files
            // of others in each live directory.
            var current = new Dictionary<FileNode, byte[]>();
            var others = new Dictionary<DirectoryNode, List<(string Name, byte[] Bytes)>>();
            void KeepOthers(DirectoryNode directory, string path) =>
                others[directory] = [.. Directory.EnumerateFiles(path).Where(f => !Modelled(f)).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))];
            KeepOthers(_top, _root);
            var livePaths = new List<string>();
            Walk(_top, _root, live: true, (node, path) =>
            {
                livePaths.Add(path);
                if (node is FileNode file && File.Exists(path)) current[file] = File.ReadAllBytes(path);
                if (node is DirectoryNode directory) KeepOthers(directory, path);
            });
            foreach (string entry in Directory.EnumerateFileSystemEntries(_root))
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            var durablePaths = new List<string>();
            Walk(_top, _root, live: false, (node, path) =>
            {
                durablePaths.Add(path);
                if (node is DirectoryNode directory)
                {
                    Directory.CreateDirectory(path);
                    foreach (var (name, bytes) in others.GetValueOrDefault(directory) ?? []) File.WriteAllBytes(Path.Combine(path, name), bytes);
                    return;
                }
                var inode = (FileNode)node;
                byte[] content = inode.Durable;
                if (torn != TornWrites.None && current.TryGetValue(inode, out var now) && !now.AsSpan().SequenceEqual(content))
                {
                    content = Torn(inode.Durable, now, torn, random);
                    report.Add($"{Path.GetFileName(path)}: {inode.Durable.Length} durable + torn → {content.Length}");
                }
                File.WriteAllBytes(path, content);
            });
            foreach (var (name, bytes) in others[_top]) File.WriteAllBytes(Path.Combine(_root, name), bytes);
            var lost = livePaths.Except(durablePaths).Select(p => Path.GetRelativePath(_root, p)).ToList();
            var back = durablePaths.Except(livePaths).Select(p => Path.GetRelativePath(_root, p)).ToList();
            if (lost.Count > 0) report.Add("names lost: " + string.Join(", ", lost));
            if (back.Count > 0) report.Add("names back: " + string.Join(", ", back));
            return string.Join("; ", report);
        }
    }

    /// <summary>Visits every entry below <paramref name="node"/> (parents before children), as it is now or as it is durably.</summary>
    private static void Walk(DirectoryNode node, string path, bool live, Action<Node, string> visit)
    {
        foreach (var (name, child) in live ? node.Live : node.Durable)
        {
            string childPath = Path.Combine(path, name);
            visit(child, childPath);
            if (child is DirectoryNode directory) Walk(directory, childPath, live, visit);
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

    /// <summary>The directory that holds a path under the root now, and the path's name in it.</summary>
    private (DirectoryNode Parent, string Name) Parent(string path) =>
        (DirectoryAt(Path.GetDirectoryName(path)!), Path.GetFileName(path));

    /// <summary>The directory at a path under the root now; one BitSieve did not create through the layer is an error of the code under test.</summary>
    private DirectoryNode DirectoryAt(string path)
    {
        var node = _top;
        foreach (string name in Path.GetRelativePath(_root, Path.GetFullPath(path)).Split(Path.DirectorySeparatorChar).Where(n => n is not ("." or "")))
            node = node.Live.GetValueOrDefault(name) as DirectoryNode
                ?? throw new InvalidOperationException($"The directory '{path}' was not created through StorageFiles, so the model cannot tell whether it survives a power loss.");
        return node;
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
