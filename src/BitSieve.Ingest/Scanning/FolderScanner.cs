using System.IO.Hashing;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Scanning;

/// <summary>Which files a <see cref="FolderScanner"/> visits.</summary>
internal sealed record FolderScanOptions
{
    /// <summary>The defaults: the loaders' extensions, hidden entries and <c>.bitsieve</c> skipped.</summary>
    public static FolderScanOptions Default { get; } = new();

    /// <summary>Extensions to include, with the dot, case-insensitive. Default: <see cref="DocumentLoader.SupportedExtensions"/>.</summary>
    public IReadOnlyCollection<string> Extensions { get; init; } = DocumentLoader.SupportedExtensions;

    /// <summary>Skip files and folders whose name starts with a dot (<c>.git</c>, <c>.venv</c>) or that are marked hidden. Default true.</summary>
    public bool SkipHidden { get; init; } = true;

    /// <summary>Folder names never entered, whatever <see cref="SkipHidden"/> says. Default: <c>.bitsieve</c>, the database folder.</summary>
    public IReadOnlyCollection<string> SkippedDirectoryNames { get; init; } = [".bitsieve"];

    /// <summary>Enter symbolic links to folders (a cycle is then possible; off by default). Links to files are always read.</summary>
    public bool FollowDirectoryLinks { get; init; }
}

/// <summary>
/// Lists the supported files under a folder with a content hash, size and modification time, for incremental
/// re-indexing with <see cref="ChangeSet.Compute(IReadOnlyDictionary{string, string}, FolderScan)"/>.
/// </summary>
internal sealed class FolderScanner
{
    private readonly FolderScanOptions _options;
    private readonly HashSet<string> _extensions;
    private readonly HashSet<string> _skippedDirectories;

    /// <summary>Creates a scanner; <see cref="FolderScanOptions.Default"/> when <paramref name="options"/> is null.</summary>
    public FolderScanner(FolderScanOptions? options = null)
    {
        _options = options ?? FolderScanOptions.Default;
        _extensions = new HashSet<string>(_options.Extensions, StringComparer.OrdinalIgnoreCase);
        _skippedDirectories = new HashSet<string>(_options.SkippedDirectoryNames, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Scans <paramref name="root"/>. A file whose size and last write time match its entry in <paramref name="known"/>
    /// keeps the known hash without being read; every other file is read and hashed.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root folder does not exist.</exception>
    public FolderScan Scan(string root, IReadOnlyDictionary<string, FileFingerprint>? known = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        string fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
            throw new DirectoryNotFoundException($"The folder '{root}' does not exist.");

        var files = new List<ScannedFile>();
        var problems = new List<ScanProblem>();
        int rehashed = 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(fullRoot));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DirectoryInfo dir = pending.Pop();
            FileSystemInfo[] entries;
            try
            {
                entries = dir.GetFileSystemInfos();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                problems.Add(new ScanProblem(Relative(fullRoot, dir.FullName), $"cannot list the folder: {e.Message}"));
                continue;
            }

            foreach (FileSystemInfo entry in entries)
            {
                if (_options.SkipHidden && IsHidden(entry))
                    continue;
                if (entry is DirectoryInfo sub)
                {
                    if (_skippedDirectories.Contains(sub.Name))
                        continue;
                    if (sub.LinkTarget is not null && !_options.FollowDirectoryLinks)
                        continue;
                    pending.Push(sub);
                    continue;
                }
                if (entry is not FileInfo file || !_extensions.Contains(file.Extension))
                    continue;

                string relative = Relative(fullRoot, file.FullName);
                try
                {
                    if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
                        file = target; // size, time and content of what the link points to
                    long size = file.Length;
                    DateTime modified = file.LastWriteTimeUtc;
                    string hash;
                    if (known is not null && known.TryGetValue(relative, out FileFingerprint fp) && fp.Size == size && fp.LastWriteUtc == modified)
                        hash = fp.Hash;
                    else
                    {
                        hash = HashFile(file.FullName, cancellationToken);
                        rehashed++;
                    }
                    files.Add(new ScannedFile(relative, Path.Combine(fullRoot, relative), size, modified, hash));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
                {
                    problems.Add(new ScanProblem(relative, $"cannot read the file: {e.Message}"));
                }
            }
        }
        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        problems.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return new FolderScan(fullRoot, files, problems, rehashed);
    }

    /// <summary>XxHash128 of a file's content as 32 lower-case hex digits.</summary>
    public static string HashFile(string path, CancellationToken cancellationToken = default)
    {
        var hash = new XxHash128();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>XxHash128 of a byte span, formatted as <see cref="HashFile"/> formats it.</summary>
    public static string HashBytes(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(XxHash128.Hash(content));

    private static bool IsHidden(FileSystemInfo entry) =>
        entry.Name.StartsWith('.') || (entry.Attributes & FileAttributes.Hidden) != 0;

    private static string Relative(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
