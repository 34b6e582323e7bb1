using System.Runtime.InteropServices;

namespace BitSieve.Benchmarks.Peers;

/// <summary>
/// The CPU time of the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>): a single-thread search loop
/// measured without the process's other threads (the JIT's background compilation, the GC), which process CPU time counts.
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static unsafe partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>The calling thread's CPU seconds so far.</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static unsafe double Seconds()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Thread CPU time is read with Linux's clock_gettime.");
        TimeSpec time;
        if (ClockGetTime(ClockThreadCpuTime, &time) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        return time.Seconds + time.Nanoseconds * 1e-9;
    }
}
