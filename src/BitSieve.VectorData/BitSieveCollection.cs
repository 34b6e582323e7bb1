using System.Data.Common;
using BitSieve.Storage;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> over one collection of a BitSieve <see cref="IDatabase"/> (an
/// embedded <see cref="Database"/>, or a cluster's <c>BitSieveCluster</c>): records
/// are points (key → point id, data properties → JSON payload, the vector → the quantized index), LINQ filters become
/// payload filters, and <see cref="IKeywordHybridSearchable{TRecord}"/> fuses vector and BM25 keyword search.
/// </summary>
/// <remarks>
/// <para>Keys are <see cref="ulong"/>, <see cref="Guid"/> or <see cref="string"/>. A string key is stored as its
/// version-5 UUID in a fixed BitSieve namespace (<see cref="NameBasedUuid.ForStringKey"/>), the string itself kept in
/// the payload under the key's storage name and checked when a record is read by key.</para>
/// <para>Over an embedded <see cref="Database"/>, operations run synchronously on the calling thread (the engine's
/// reads are in-memory or memory-mapped and its writes are one fsynced log append); the returned tasks are complete
/// when the methods return. Over a cluster, each is a call to the cluster. Thread-safe.</para>
/// </remarks>
/// <typeparam name="TKey">The key type: <see cref="ulong"/>, <see cref="Guid"/> or <see cref="string"/>.</typeparam>
/// <typeparam name="TRecord">The record type.</typeparam>
public partial class BitSieveCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>, IKeywordHybridSearchable<TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>The system name reported in metadata and exceptions.</summary>
    internal const string SystemName = "bitsieve";

    private readonly IDatabase _database;
    private readonly CollectionModel _model;
    private readonly RecordMapper _mapper;
    private readonly BitSieveCollectionOptions _options;
    private readonly VectorStoreCollectionMetadata _metadata;
    private readonly DataPropertyModel? _textProperty;

    /// <summary>A collection of <paramref name="database"/> (created by <see cref="EnsureCollectionExistsAsync"/>).</summary>
    /// <param name="database">The open database; the collection does not own it.</param>
    /// <param name="name">The collection's name: 1–255 letters, digits, '_', '-' or '.', not starting with '.'.</param>
    /// <param name="options">The record definition, embedding generator and BitSieve settings; null for defaults (attributes on <typeparamref name="TRecord"/>).</param>
    public BitSieveCollection(Database database, string name, BitSieveCollectionOptions? options = null)
        : this((IDatabase)database, name, options)
    {
    }

    /// <summary>A collection of <paramref name="database"/>, embedded or a cluster (created by <see cref="EnsureCollectionExistsAsync"/>).</summary>
    /// <param name="database">The database or cluster; the collection does not own it.</param>
    /// <param name="name">The collection's name: 1–255 letters, digits, '_', '-' or '.', not starting with '.'.</param>
    /// <param name="options">The record definition, embedding generator and BitSieve settings; null for defaults (attributes on <typeparamref name="TRecord"/>).</param>
    public BitSieveCollection(IDatabase database, string name, BitSieveCollectionOptions? options = null)
        : this(database, name, options, static o =>
            typeof(TRecord) == typeof(Dictionary<string, object?>)
                ? throw new NotSupportedException(VectorDataStrings.NonDynamicCollectionWithDictionaryNotSupported(typeof(BitSieveDynamicCollection)))
                : new BitSieveModelBuilder().Build(typeof(TRecord), typeof(TKey), o.Definition, o.EmbeddingGenerator))
    {
    }

    internal BitSieveCollection(IDatabase database, string name, BitSieveCollectionOptions? options, Func<BitSieveCollectionOptions, CollectionModel> buildModel)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (!Database.IsValidName(name))
            throw new ArgumentException($"'{name}' is not a valid BitSieve collection name: use 1–255 letters, digits, '_', '-' or '.', not starting with '.'.", nameof(name));
        if (typeof(TKey) != typeof(object) && !BitSieveModelBuilder.IsKeyType(typeof(TKey)))
            throw new NotSupportedException($"BitSieve keys are {BitSieveModelBuilder.SupportedKeyTypes}; got {typeof(TKey).Name}.");
        _options = new BitSieveCollectionOptions(options);
        if (_options.Bits is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(options), _options.Bits, "Bits must be 4 or 8.");
        if (_options.SearchThreads < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.SearchThreads, "SearchThreads must be at least 1.");
        if (_options.HybridCandidates < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.HybridCandidates, "HybridCandidates must be at least 1.");
        _database = database;
        Name = name;
        _model = buildModel(_options);
        _mapper = new RecordMapper(_model);
        var fullText = _model.DataProperties.Where(p => p.IsFullTextIndexed).ToList();
        if (fullText.Count > 1)
            throw new NotSupportedException($"A BitSieve collection has one full-text field; properties {string.Join(", ", fullText.Select(p => p.ModelName))} are all marked IsFullTextIndexed.");
        if (fullText.Count == 1 && fullText[0].Type != typeof(string))
            throw new NotSupportedException($"Full-text property '{fullText[0].ModelName}' must be a string; it is a {fullText[0].Type.Name}.");
        _textProperty = fullText.SingleOrDefault();
        _metadata = new VectorStoreCollectionMetadata { VectorStoreSystemName = SystemName, VectorStoreName = database.Location, CollectionName = name };
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The record model (for tests).</summary>
    internal CollectionModel Model => _model;

    /// <summary>The record mapper (for tests).</summary>
    internal RecordMapper Mapper => _mapper;

    /// <summary>The engine collection's creation options this record definition asks for.</summary>
    internal CollectionOptions EngineOptions => new()
    {
        Dimension = _mapper.Vector.Dimensions,
        Metric = VectorSettings.MetricOf(_mapper.Vector),
        Bits = _options.Bits,
        Index = VectorSettings.IndexTypeOf(_mapper.Vector),
    };

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return RunAsync("CollectionExists", () => _database.CollectionExistsAsync(Name));
    }

    /// <summary>
    /// Creates the collection unless it exists (then checks that its dimension and metric match the record definition),
    /// and creates payload indexes for the data properties marked <c>IsIndexed</c> and the lexical index of the one
    /// marked <c>IsFullTextIndexed</c> (which then takes the place of a filter index on that property: filters on it
    /// still work, unindexed).
    /// </summary>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return RunAsync("EnsureCollectionExists", async () =>
        {
            var wanted = EngineOptions;
            var collection = await _database.GetOrCreateCollectionAsync(Name, wanted).ConfigureAwait(false);
            if (collection.Options.Dimension != wanted.Dimension || collection.Options.Metric != wanted.Metric)
            {
                throw new InvalidOperationException(
                    $"Collection '{Name}' exists with dimension {collection.Options.Dimension} and metric {collection.Options.Metric}; " +
                    $"the record definition asks for dimension {wanted.Dimension} and metric {wanted.Metric}.");
            }
            // Creating an index the key already has with that schema changes nothing. A field holds one index: the
            // full-text one wins over a filter index on the same property.
            foreach (var property in _model.DataProperties.Where(p => p.IsIndexed && p != _textProperty))
            {
                if (PayloadValues.IndexSchema(property.Type) is not { } schema) continue;
                await collection.CreatePayloadIndexAsync(BitSieveFilterTranslator.PathOf(property.StorageName).Text, schema).ConfigureAwait(false);
            }
            if (_textProperty is not null)
                await collection.CreatePayloadIndexAsync(BitSieveFilterTranslator.PathOf(_textProperty.StorageName).Text, "text").ConfigureAwait(false);
            return true;
        });
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return RunAsync("EnsureCollectionDeleted", () => _database.DeleteCollectionAsync(Name));
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(VectorStoreCollectionMetadata)) return _metadata;
        if (serviceType == typeof(Collection)) return _database is Database embedded && embedded.CollectionExists(Name) ? embedded.GetCollection(Name) : null;
        if (serviceType.IsInstanceOfType(_database)) return _database;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Runs an engine operation on the collection, translating storage failures into <see cref="VectorStoreException"/>.</summary>
    private Task<T> OnCollectionAsync<T>(string operation, Func<IPointCollection, Task<T>> action) => RunAsync(operation, async () =>
    {
        IPointCollection collection;
        try
        {
            collection = await _database.GetCollectionAsync(Name).ConfigureAwait(false);
        }
        catch (KeyNotFoundException e)
        {
            throw Failure(operation, $"Collection '{Name}' does not exist in the BitSieve database '{_database.Location}'; call EnsureCollectionExistsAsync first.", e);
        }
        return await action(collection).ConfigureAwait(false);
    });

    /// <summary><see cref="OnCollectionAsync{T}"/> for an operation without a result.</summary>
    private Task OnCollectionAsync(string operation, Func<IPointCollection, Task> action) =>
        OnCollectionAsync(operation, async collection =>
        {
            await action(collection).ConfigureAwait(false);
            return true;
        });

    private async Task<T> RunAsync<T>(string operation, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or DbException or InvalidDataException or UnauthorizedAccessException or TimeoutException)
        {
            throw Failure(operation, $"BitSieve {operation} on collection '{Name}' failed: {e.Message}", e);
        }
    }

    private VectorStoreException Failure(string operation, string message, Exception inner) => new(message, inner)
    {
        VectorStoreSystemName = SystemName,
        VectorStoreName = _database.Location,
        CollectionName = Name,
        OperationName = operation,
    };
}
