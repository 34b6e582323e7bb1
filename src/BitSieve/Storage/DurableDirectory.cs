using System.Runtime.InteropServices;

namespace BitSieve.Storage;

/// <summary>
/// Makes renames inside a directory durable: on Linux, macOS and other Unix systems a rename reaches the disk only
/// once the directory itself is fsynced, and a failure to do so is an <see cref="IOException"/> (the rename may not
/// survive a power loss). The exceptions are where directories cannot be fsynced at all: Windows, which has no such
/// call (NTFS journals the rename), and a file system that answers <c>EINVAL</c> (it does not support syncing
/// directories, as some network and FUSE file systems do); there only the file-level fsyncs are made.
/// </summary>
internal static partial class DurableDirectory
{
    private const int EINVAL = 22; // the same value on Linux, macOS and the BSDs

    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw Failure("open", directory, Marshal.GetLastPInvokeError());
        try
        {
            if (Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINVAL) throw Failure("fsync", directory, errno);
            }
        }
        finally
        {
            Close(fd);
        }
    }

    private static IOException Failure(string call, string directory, int errno) =>
        new($"Cannot make the changes in the directory '{directory}' durable: {call} failed ({Marshal.GetPInvokeErrorMessage(errno)}, errno {errno}).");

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
