namespace BitSieve;

/// <summary>
/// What an application does with a set of collections, the same whether they are embedded (<see cref="Database"/>)
/// or served by a BitSieve cluster (<c>BitSieveCluster</c> of <c>BitSieve.Cluster</c>): code written against it, such
/// as the <c>BitSieve.VectorData</c> connector, runs on either. Every call is asynchronous because a cluster's are
/// calls over the network; an embedded database answers on the calling thread and returns completed tasks.
/// </summary>
public interface IDatabase
{
    /// <summary>Where the collections are, for messages: a database's folder, or a cluster's address.</summary>
    string Location { get; }

    /// <summary>Whether a collection of that name exists.</summary>
    Task<bool> CollectionExistsAsync(string name);

    /// <summary>The names of its collections, in ordinal order.</summary>
    Task<IReadOnlyList<string>> CollectionNamesAsync();

    /// <summary>The collection <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such collection.</exception>
    Task<IPointCollection> GetCollectionAsync(string name);

    /// <summary>
    /// Creates a collection of <paramref name="shardNumber"/> shards kept as <paramref name="replicationFactor"/> copies,
    /// each write acknowledged by <paramref name="writeConsistencyFactor"/> copies (0, unset: 1, Qdrant's default), as Qdrant
    /// names them. An embedded database keeps every collection as one shard in one copy and does not read them.
    /// </summary>
    /// <exception cref="InvalidOperationException">It exists.</exception>
    /// <exception cref="ArgumentException">
    /// The name (<see cref="ArgumentException.ParamName"/> <c>name</c>: invalid, or longer than the host can hold) or the
    /// options are invalid, or (a cluster) the copies exceed the live machines.
    /// </exception>
    Task<IPointCollection> CreateCollectionAsync(string name, CollectionOptions options, int shardNumber = 1, int replicationFactor = 1, int writeConsistencyFactor = 0);

    /// <summary>The collection <paramref name="name"/>, created with <paramref name="options"/> when it does not exist (an existing one keeps its own options).</summary>
    Task<IPointCollection> GetOrCreateCollectionAsync(string name, CollectionOptions options);

    /// <summary>Deletes a collection and its points; false when it does not exist.</summary>
    Task<bool> DeleteCollectionAsync(string name);
}
