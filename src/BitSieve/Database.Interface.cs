namespace BitSieve;

// The database as an IDatabase: each operation runs on the calling thread, as the synchronous method of the same
// name, and its task is complete when it returns.
public sealed partial class Database : IDatabase
{
    string IDatabase.Location => Path;

    Task<bool> IDatabase.CollectionExistsAsync(string name) => Completed.Run(() => CollectionExists(name));

    Task<IReadOnlyList<string>> IDatabase.CollectionNamesAsync() => Completed.Run(CollectionNames);

    Task<IPointCollection> IDatabase.GetCollectionAsync(string name) => Completed.Run<IPointCollection>(() => GetCollection(name));

    Task<IPointCollection> IDatabase.CreateCollectionAsync(string name, CollectionOptions options, int shardNumber, int replicationFactor, int writeConsistencyFactor) =>
        Completed.Run<IPointCollection>(() => CreateCollection(name, options));

    Task<IPointCollection> IDatabase.GetOrCreateCollectionAsync(string name, CollectionOptions options) =>
        Completed.Run<IPointCollection>(() => GetOrCreateCollection(name, options));

    Task<bool> IDatabase.DeleteCollectionAsync(string name) => Completed.Run(() => DeleteCollection(name));
}
