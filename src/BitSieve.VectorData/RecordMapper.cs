using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

/// <summary>
/// Maps records to points and back. Keys: a <see cref="ulong"/> is the integer point id, a <see cref="Guid"/> the UUID
/// point id, a <see cref="string"/> the version-5 UUID of the string (<see cref="NameBasedUuid.ForStringKey"/>) with the
/// string itself kept in the payload under the key's storage name, and checked whenever a point is read by key. Data
/// properties go to the payload under their storage names (<see cref="PayloadValues"/>).
/// </summary>
internal sealed class RecordMapper
{
    private readonly CollectionModel _model;

    public RecordMapper(CollectionModel model)
    {
        _model = model;
        Key = model.KeyProperty;
        Vector = model.VectorProperty;
    }

    public KeyPropertyModel Key { get; }

    public VectorPropertyModel Vector { get; }

    /// <summary>Whether the vector is generated from the vector property's value (text) rather than stored in it.</summary>
    public bool GeneratesVector => !BitSieveModelBuilder.IsNativeVectorType(Vector.Type);

    public bool HasStringKey => Key.Type == typeof(string);

    /// <summary>The point id of a key value.</summary>
    public PointId ToPointId(object? key) => key switch
    {
        ulong number when Key.Type == typeof(ulong) => new PointId(number),
        Guid uuid when Key.Type == typeof(Guid) => new PointId(uuid),
        string text when Key.Type == typeof(string) => new PointId(NameBasedUuid.ForStringKey(text)),
        null => throw new ArgumentNullException(nameof(key), $"A record key ('{Key.ModelName}') is null."),
        _ => throw new ArgumentException($"Key property '{Key.ModelName}' is a {Key.Type.Name}; got a {key.GetType().Name} ({key}).", nameof(key)),
    };

    /// <summary>The payload of a record (its data properties, and the string key when keys are strings).</summary>
    public JsonObject ToPayload(object record)
    {
        var payload = new JsonObject();
        if (HasStringKey) payload[Key.StorageName] = (string?)Key.GetValueAsObject(record);
        foreach (var property in _model.DataProperties)
            payload[property.StorageName] = PayloadValues.ToNode(property.GetValueAsObject(record), property.ModelName);
        return payload;
    }

    /// <summary>The stored vector of a record whose vector property holds one.</summary>
    public ReadOnlyMemory<float> StoredVector(object record) => Vector.GetValueAsObject(record) switch
    {
        ReadOnlyMemory<float> memory => memory,
        float[] array => array,
        Embedding<float> embedding => embedding.Vector,
        _ => ReadOnlyMemory<float>.Empty,
    };

    /// <summary>The key value of a stored point.</summary>
    public object KeyOf(PointId id, JsonObject? payload)
    {
        if (Key.Type == typeof(ulong) && !id.IsUuid) return id.Number;
        if (Key.Type == typeof(Guid) && id.IsUuid) return id.Uuid;
        if (HasStringKey && payload?[Key.StorageName] is JsonValue value && value.TryGetValue(out string? text)) return text;
        throw new InvalidDataException(
            $"Point {id} cannot be read as a record with a {Key.Type.Name} key" +
            (HasStringKey ? $": its payload has no string \"{Key.StorageName}\" (was it written outside the connector?)." : "."));
    }

    /// <summary>A record from a stored point; the vector property is set only when <paramref name="vector"/> is given.</summary>
    public TRecord ToRecord<TRecord>(PointId id, JsonObject payload, float[]? vector)
    {
        var record = _model.CreateRecord<TRecord>()!;
        Key.SetValueAsObject(record, KeyOf(id, payload));
        foreach (var property in _model.DataProperties)
            property.SetValueAsObject(record, PayloadValues.FromNode(payload[property.StorageName], property.Type));
        if (vector is not null)
        {
            object value = Vector.Type == typeof(float[]) ? vector
                : Vector.Type == typeof(Embedding<float>) ? new Embedding<float>(vector)
                : new ReadOnlyMemory<float>(vector);
            Vector.SetValueAsObject(record, value);
        }
        return record;
    }
}
