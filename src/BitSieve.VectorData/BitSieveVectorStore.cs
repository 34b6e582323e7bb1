using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData;

/// <summary>
/// A <see cref="VectorStore"/> over a BitSieve <see cref="IDatabase"/>: an embedded <see cref="BitSieve.Database"/> (a
/// directory of collections), or a cluster's <c>BitSieveCluster</c>.
/// </summary>
/// <example>
/// <code>
/// using var store = new BitSieveVectorStore("my-db");
/// var docs = store.GetCollection&lt;string, Doc&gt;("docs");
/// await docs.EnsureCollectionExistsAsync();
/// await docs.UpsertAsync(new Doc { Id = "a", Text = "…", Embedding = vector });
/// await foreach (var hit in docs.SearchAsync(query, top: 5)) Console.WriteLine($"{hit.Score} {hit.Record.Text}");
/// </code>
/// </example>
public sealed class BitSieveVectorStore : VectorStore
{
    private readonly IDatabase _database;
    private readonly Database? _embedded;
    private readonly bool _ownsDatabase;
    private readonly BitSieveVectorStoreOptions _options;
    private readonly VectorStoreMetadata _metadata;

    /// <summary>Opens (or creates) the database at <paramref name="path"/>; the store owns and disposes it.</summary>
    /// <exception cref="DatabaseLockedException">Another process or store has the database open for writing.</exception>
    public BitSieveVectorStore(string path, BitSieveVectorStoreOptions? options = null, DatabaseOptions? databaseOptions = null)
        : this(Database.Open(path, databaseOptions), options, ownsDatabase: true)
    {
    }

    /// <summary>A store over an open database.</summary>
    /// <param name="database">The database.</param>
    /// <param name="options">Defaults handed to every collection.</param>
    /// <param name="ownsDatabase">Whether disposing the store disposes the database.</param>
    public BitSieveVectorStore(Database database, BitSieveVectorStoreOptions? options = null, bool ownsDatabase = false)
        : this((IDatabase)database, options ?? new BitSieveVectorStoreOptions())
    {
        _embedded = database;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>A store over any <see cref="IDatabase"/>, such as a cluster (<c>BitSieveCluster</c>, which the caller disposes).</summary>
    /// <param name="database">The collections.</param>
    /// <param name="options">Defaults handed to every collection.</param>
    public BitSieveVectorStore(IDatabase database, BitSieveVectorStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options;
        _metadata = new VectorStoreMetadata { VectorStoreSystemName = BitSieveCollection<ulong, object>.SystemName, VectorStoreName = database.Location };
    }

    /// <summary>The embedded database.</summary>
    /// <exception cref="InvalidOperationException">The store is over a cluster.</exception>
    public Database Database => _embedded ?? throw new InvalidOperationException($"This store is over {_database.Location}, not an embedded database.");

    /// <inheritdoc />
    public override BitSieveCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        typeof(TRecord) == typeof(Dictionary<string, object?>)
            ? throw new NotSupportedException(Microsoft.Extensions.VectorData.ProviderServices.VectorDataStrings.NonDynamicCollectionWithDictionaryNotSupported(typeof(BitSieveDynamicCollection)))
            : new BitSieveCollection<TKey, TRecord>(_database, name, CollectionOptions(definition));

    /// <inheritdoc />
    public override BitSieveDynamicCollection GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new BitSieveDynamicCollection(_database, name, CollectionOptions(definition));
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        foreach (string name in await _database.CollectionNamesAsync().ConfigureAwait(false)) yield return name;
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _database.CollectionExistsAsync(name);
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _database.DeleteCollectionAsync(name);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(VectorStoreMetadata)) return _metadata;
        if (serviceType == typeof(Database)) return _embedded;
        if (serviceType == typeof(IDatabase)) return _database;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsDatabase) _embedded?.Dispose();
        base.Dispose(disposing);
    }

    private BitSieveCollectionOptions CollectionOptions(VectorStoreCollectionDefinition? definition) => new()
    {
        Definition = definition,
        EmbeddingGenerator = _options.EmbeddingGenerator,
        Quality = _options.Quality,
        Bits = _options.Bits,
        SearchThreads = _options.SearchThreads,
        HybridCandidates = _options.HybridCandidates,
        SearchTrace = _options.SearchTrace,
    };
}
