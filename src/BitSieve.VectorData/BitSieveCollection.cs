using System.Data.Common;
using BitSieve.Storage;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> over one collection of a BitSieve <see cref="Database"/>: records
/// are points (key → point id, data properties → JSON payload, the vector → the quantized index), LINQ filters become
/// payload filters, and <see cref="IKeywordHybridSearchable{TRecord}"/> fuses vector and BM25 keyword search.
/// </summary>
/// <remarks>
/// <para>Keys are <see cref="ulong"/>, <see cref="Guid"/> or <see cref="string"/>. A string key is stored as its
/// version-5 UUID in a fixed BitSieve namespace (<see cref="NameBasedUuid.ForStringKey"/>), the string itself kept in
/// the payload under the key's storage name and checked when a record is read by key.</para>
/// <para>Operations run synchronously on the calling thread (the engine's reads are in-memory or memory-mapped and
/// its writes are one fsynced log append); the returned tasks are complete when the methods return. Thread-safe.</para>
/// </remarks>
/// <typeparam name="TKey">The key type: <see cref="ulong"/>, <see cref="Guid"/> or <see cref="string"/>.</typeparam>
/// <typeparam name="TRecord">The record type.</typeparam>
public partial class BitSieveCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>, IKeywordHybridSearchable<TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>The system name reported in metadata and exceptions.</summary>
    internal const string SystemName = "bitsieve";

    private readonly Database _database;
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
        : this(database, name, options, static o =>
            typeof(TRecord) == typeof(Dictionary<string, object?>)
                ? throw new NotSupportedException(VectorDataStrings.NonDynamicCollectionWithDictionaryNotSupported(typeof(BitSieveDynamicCollection)))
                : new BitSieveModelBuilder().Build(typeof(TRecord), typeof(TKey), o.Definition, o.EmbeddingGenerator))
    {
    }

    internal BitSieveCollection(Database database, string name, BitSieveCollectionOptions? options, Func<BitSieveCollectionOptions, CollectionModel> buildModel)
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
        _metadata = new VectorStoreCollectionMetadata { VectorStoreSystemName = SystemName, VectorStoreName = database.Path, CollectionName = name };
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
        return Task.FromResult(Run("CollectionExists", () => _database.CollectionExists(Name)));
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
        Run("EnsureCollectionExists", () =>
        {
            var wanted = EngineOptions;
            var collection = _database.GetOrCreateCollection(Name, wanted);
            if (collection.Options.Dimension != wanted.Dimension || collection.Options.Metric != wanted.Metric)
            {
                throw new InvalidOperationException(
                    $"Collection '{Name}' exists with dimension {collection.Options.Dimension} and metric {collection.Options.Metric}; " +
                    $"the record definition asks for dimension {wanted.Dimension} and metric {wanted.Metric}.");
            }
            var existing = collection.Info().PayloadIndexes;
            // A field holds one index: the full-text one wins over a filter index on the same property.
            foreach (var property in _model.DataProperties.Where(p => p.IsIndexed && p != _textProperty))
            {
                if (PayloadValues.IndexSchema(property.Type) is not { } schema) continue;
                string key = BitSieveFilterTranslator.PathOf(property.StorageName).Text;
                if (!existing.TryGetValue(key, out string? current) || current != schema) collection.CreatePayloadIndex(key, schema);
            }
            EnsureTextIndex(collection, existing);
            return true;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run("EnsureCollectionDeleted", () => _database.DeleteCollection(Name));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(VectorStoreCollectionMetadata)) return _metadata;
        if (serviceType == typeof(Database)) return _database;
        if (serviceType == typeof(Collection)) return _database.CollectionExists(Name) ? _database.GetCollection(Name) : null;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Runs an engine operation on the collection, translating storage failures into <see cref="VectorStoreException"/>.</summary>
    private T OnCollection<T>(string operation, Func<Collection, T> action) => Run(operation, () =>
    {
        Collection collection;
        try
        {
            collection = _database.GetCollection(Name);
        }
        catch (KeyNotFoundException e)
        {
            throw Failure(operation, $"Collection '{Name}' does not exist in the BitSieve database '{_database.Path}'; call EnsureCollectionExistsAsync first.", e);
        }
        return action(collection);
    });

    private T Run<T>(string operation, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or DbException or InvalidDataException or UnauthorizedAccessException)
        {
            throw Failure(operation, $"BitSieve {operation} on collection '{Name}' failed: {e.Message}", e);
        }
    }

    private VectorStoreException Failure(string operation, string message, Exception inner) => new(message, inner)
    {
        VectorStoreSystemName = SystemName,
        VectorStoreName = _database.Path,
        CollectionName = Name,
        OperationName = operation,
    };
}
