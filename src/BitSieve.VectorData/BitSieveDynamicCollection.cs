using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData;

/// <summary>
/// A collection whose records are dictionaries (property name → value), described by a
/// <see cref="VectorStoreCollectionDefinition"/>; keys are the key property's type (<see cref="ulong"/>,
/// <see cref="Guid"/> or <see cref="string"/>) passed as <see cref="object"/>.
/// </summary>
public sealed class BitSieveDynamicCollection : BitSieveCollection<object, Dictionary<string, object?>>
{
    /// <summary>A dynamic collection of <paramref name="database"/>.</summary>
    /// <param name="database">The open database; the collection does not own it.</param>
    /// <param name="name">The collection's name.</param>
    /// <param name="options">Options; <see cref="VectorStoreCollectionOptions.Definition"/> is required.</param>
    public BitSieveDynamicCollection(Database database, string name, BitSieveCollectionOptions options)
        : this((IDatabase)database, name, options)
    {
    }

    /// <summary>A dynamic collection of <paramref name="database"/>, embedded or a cluster.</summary>
    /// <param name="database">The database or cluster; the collection does not own it.</param>
    /// <param name="name">The collection's name.</param>
    /// <param name="options">Options; <see cref="VectorStoreCollectionOptions.Definition"/> is required.</param>
    public BitSieveDynamicCollection(IDatabase database, string name, BitSieveCollectionOptions options)
        : base(database, name, options, static o => new BitSieveModelBuilder().BuildDynamic(
            o.Definition ?? throw new ArgumentException("A dynamic collection needs a record definition (options.Definition).", nameof(options)),
            o.EmbeddingGenerator))
    {
    }
}
