using System.Runtime.InteropServices;

namespace BitSieve.Storage;

/// <summary>
/// Makes renames inside a directory durable: on Linux and macOS a rename reaches the disk only once the directory
/// itself is fsynced. Windows has no such call (NTFS journals the rename), so there it does nothing.
/// </summary>
internal static partial class DurableDirectory
{
    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            int fd = Open(directory, 0 /* O_RDONLY */);
            if (fd < 0) return;
            try
            {
                Fsync(fd);
            }
            finally
            {
                Close(fd);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // "Where possible": a platform without libc keeps the file-level fsyncs only.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
