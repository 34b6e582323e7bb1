using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData.Tests;

// Three key types × two ways of describing the record; the definitions also vary the distance function.

public sealed class UlongKeyAttributeTests : ConformanceTests<ulong, Hotel<ulong>>
{
    protected override ulong KeyOf(int i) => (ulong)i * 7919 + 1;

    protected override VectorStoreCollectionDefinition? Definition => null;

    protected override string DistanceFunction => Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;
}

public sealed class UlongKeyDefinitionTests : ConformanceTests<ulong, PlainHotel<ulong>>
{
    protected override ulong KeyOf(int i) => ulong.MaxValue - (ulong)i;

    protected override VectorStoreCollectionDefinition? Definition => PlainHotel<ulong>.Definition(DistanceFunction);

    protected override string DistanceFunction => Microsoft.Extensions.VectorData.DistanceFunction.EuclideanDistance;
}

public sealed class GuidKeyAttributeTests : ConformanceTests<Guid, Hotel<Guid>>
{
    protected override Guid KeyOf(int i) => new(i, 7, 9, [1, 2, 3, 4, 5, 6, 7, (byte)(i % 251)]);

    protected override VectorStoreCollectionDefinition? Definition => null;

    protected override string DistanceFunction => Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;
}

public sealed class GuidKeyDefinitionTests : ConformanceTests<Guid, PlainHotel<Guid>>
{
    protected override Guid KeyOf(int i) => NameBasedUuid.Create(Guid.Empty, $"guid-{i}");

    protected override VectorStoreCollectionDefinition? Definition => PlainHotel<Guid>.Definition(DistanceFunction);

    protected override string DistanceFunction => Microsoft.Extensions.VectorData.DistanceFunction.DotProductSimilarity;
}

public sealed class StringKeyAttributeTests : ConformanceTests<string, Hotel<string>>
{
    protected override string KeyOf(int i) => i % 3 == 0 ? $"doc/{i}#intro" : i % 3 == 1 ? $"ドキュメント-{i}" : $"k{i}";

    protected override VectorStoreCollectionDefinition? Definition => null;

    protected override string DistanceFunction => Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;
}

public sealed class StringKeyDefinitionTests : ConformanceTests<string, PlainHotel<string>>
{
    protected override string KeyOf(int i) => $"hotel key {i}";

    protected override VectorStoreCollectionDefinition? Definition => PlainHotel<string>.Definition(DistanceFunction);

    protected override string DistanceFunction => Microsoft.Extensions.VectorData.DistanceFunction.CosineDistance;
}
