using System.Diagnostics;
using System.Globalization;

namespace BitSieve.Storage;

/// <summary>
/// The writer's lock on a database directory: an exclusive lock on <c>LOCK</c> (an advisory <c>flock</c> on Unix, a
/// share-none open on Windows) held while the database is open for writing, and the holder's description in
/// <c>LOCK.holder</c> so that a second writer learns who has it. The operating system drops the lock when the
/// process dies, so a crash never leaves a stale lock behind.
/// </summary>
internal sealed class DatabaseLock : IDisposable
{
    private const string LockFile = "LOCK";
    private const string HolderFile = "LOCK.holder";
    private readonly FileStream _stream;

    private DatabaseLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, or throws <see cref="DatabaseLockedException"/> naming the holder.</summary>
    public static DatabaseLock Acquire(string directory)
    {
        string path = Path.Combine(directory, LockFile);
        string holderPath = Path.Combine(directory, HolderFile);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            string holder;
            try
            {
                holder = File.ReadAllText(holderPath).Trim();
            }
            catch (Exception readError) when (readError is IOException or UnauthorizedAccessException)
            {
                holder = "an unknown process";
            }
            throw new DatabaseLockedException(directory, holder, e);
        }
        using var self = Process.GetCurrentProcess();
        string description = string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId} ({self.ProcessName}) on {Environment.MachineName}, since {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        File.WriteAllText(holderPath, description + Environment.NewLine);
        return new DatabaseLock(stream);
    }

    public void Dispose() => _stream.Dispose();
}
