namespace BitSieve.Cli.Tests;

/// <summary>
/// Test classes that point <c>BITSIEVE_CACHE_DIR</c> (a process-wide variable) at their own temp folder run one after
/// another, so that one class's cleanup never swaps the cache folder under another's feet.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CacheDirectoryCollection
{
    public const string Name = "BITSIEVE_CACHE_DIR";
}
