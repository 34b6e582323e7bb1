namespace BitSieve.Quantization;

/// <summary>
/// A tiny deterministic generator (SplitMix64). The rotation must be reproducible from the seed in the manifest on
/// every runtime version, so it does not use <see cref="Random"/>, whose algorithm may change.
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound).</summary>
    public int NextInt(int bound) => (int)((Next() >> 33) % (ulong)bound);
}
