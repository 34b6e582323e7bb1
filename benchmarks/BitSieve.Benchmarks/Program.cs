using BenchmarkDotNet.Running;
using BitSieve.Benchmarks.Peers;

namespace BitSieve.Benchmarks;

/// <summary>
/// The kernel micro-benchmarks (BenchmarkDotNet: any arguments it takes), or, with <c>usearch</c> first, USearch's HNSW
/// as a peer of <c>bitsieve bench --index graph</c> (<see cref="USearchCommand"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == "usearch") return USearchCommand.Run(args[1..], Console.Out, Console.Error);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
