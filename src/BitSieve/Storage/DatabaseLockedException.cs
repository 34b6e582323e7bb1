namespace BitSieve;

/// <summary>A database directory is already open for writing by another process (or another <see cref="Database"/> in this one).</summary>
public sealed class DatabaseLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public DatabaseLockedException(string directory, string holder, Exception? inner)
        : base($"The database '{directory}' is open for writing by {holder}. Close it there, or open this one read-only.", inner)
    {
        Directory = directory;
        Holder = holder;
    }

    /// <summary>The database directory.</summary>
    public string Directory { get; }

    /// <summary>Who holds it, as the holder described itself.</summary>
    public string Holder { get; }
}
