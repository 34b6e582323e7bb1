using BitSieve.Ingest.Scanning;

namespace BitSieve.Ingest.Tests;

/// <summary>What the Ingest assembly exports: the loaders' and chunker's entry points and the folder indexer, not the folder scan behind it.</summary>
public sealed class PublicApiTests
{
    [Theory]
    [InlineData(typeof(FolderScanner))]
    [InlineData(typeof(ChangeSet))]
    [InlineData(typeof(ScannedFile))]
    [InlineData(typeof(FolderScan))]
    public void Folder_scanning_is_internal(Type type) => Assert.False(type.IsVisible, $"{type.FullName} is public");
}
