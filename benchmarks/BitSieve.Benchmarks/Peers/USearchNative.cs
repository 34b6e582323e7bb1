using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace BitSieve.Benchmarks.Peers;

/// <summary>
/// The C API of <c>libusearch_c</c>, the native library the <c>Cloud.Unum.USearch</c> package ships and its managed
/// <see cref="USearchIndex"/> wraps. Bound here because the managed API of 2.26.6 fixes the search expansion (ef) when
/// the index is made; <c>usearch_change_expansion_search</c> changes it on a built index, so one build serves the sweep.
/// Every function reports failure through its last argument: a C string, or null.
/// </summary>
internal static partial class USearchNative
{
    private const string Library = "libusearch_c";

    /// <summary><c>usearch_init_options_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InitOptions
    {
        public MetricKind MetricKind;
        public IntPtr Metric;
        public ScalarKind Quantization;
        public nuint Dimensions;
        public nuint Connectivity;
        public nuint ExpansionAdd;
        public nuint ExpansionSearch;
        public byte Multi; // a C bool: 0, one vector per key
    }

    [LibraryImport(Library, EntryPoint = "usearch_init")]
    internal static unsafe partial IntPtr Init(InitOptions* options, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_free")]
    internal static partial void Free(IntPtr index, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_reserve")]
    internal static partial void Reserve(IntPtr index, nuint capacity, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_size")]
    internal static partial nuint Size(IntPtr index, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_memory_usage")]
    internal static partial nuint MemoryUsage(IntPtr index, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_hardware_acceleration")]
    internal static partial IntPtr HardwareAcceleration(IntPtr index, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_change_expansion_search")]
    internal static partial void ChangeExpansionSearch(IntPtr index, nuint expansion, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_change_threads_add")]
    internal static partial void ChangeThreadsAdd(IntPtr index, nuint threads, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_change_threads_search")]
    internal static partial void ChangeThreadsSearch(IntPtr index, nuint threads, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_add")]
    internal static unsafe partial void Add(IntPtr index, ulong key, float* vector, ScalarKind kind, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "usearch_search")]
    internal static unsafe partial nuint Search(IntPtr index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, out IntPtr error);

    /// <summary>Throws when a call reported an error.</summary>
    internal static void ThrowIfError(IntPtr error, string call)
    {
        if (error != IntPtr.Zero) throw new InvalidOperationException($"{call}: {Marshal.PtrToStringUTF8(error)}");
    }
}
