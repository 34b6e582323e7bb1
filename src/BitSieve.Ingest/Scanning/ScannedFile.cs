namespace BitSieve.Ingest.Scanning;

/// <summary>What the scanner remembers of a file to decide, next time, whether it needs hashing again.</summary>
/// <param name="Size">Length in bytes.</param>
/// <param name="LastWriteUtc">Last write time, UTC.</param>
/// <param name="Hash">The content hash (<see cref="ScannedFile.Hash"/>).</param>
internal readonly record struct FileFingerprint(long Size, DateTime LastWriteUtc, string Hash);

/// <summary>A supported file found under the scanned folder.</summary>
/// <param name="RelativePath">Path relative to the scanned folder, with forward slashes.</param>
/// <param name="FullPath">Absolute path on this machine.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="LastWriteUtc">Last write time, UTC.</param>
/// <param name="Hash">XxHash128 of the content as 32 lower-case hex digits.</param>
internal sealed record ScannedFile(string RelativePath, string FullPath, long Size, DateTime LastWriteUtc, string Hash)
{
    /// <summary>The file's fingerprint, to hand back to the next scan.</summary>
    public FileFingerprint Fingerprint => new(Size, LastWriteUtc, Hash);
}

/// <summary>A file or folder the scan could not read.</summary>
/// <param name="RelativePath">Path relative to the scanned folder, with forward slashes.</param>
/// <param name="Reason">What went wrong.</param>
internal sealed record ScanProblem(string RelativePath, string Reason);

/// <summary>The result of scanning a folder.</summary>
/// <param name="Root">The scanned folder, absolute.</param>
/// <param name="Files">Supported files, ordered by relative path (ordinal).</param>
/// <param name="Problems">Files and folders that could not be read.</param>
/// <param name="Rehashed">How many files were read and hashed (the rest reused a fingerprint with the same size and time).</param>
internal sealed record FolderScan(string Root, IReadOnlyList<ScannedFile> Files, IReadOnlyList<ScanProblem> Problems, int Rehashed);
