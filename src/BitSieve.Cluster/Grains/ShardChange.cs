using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Server.Http;

namespace BitSieve.Cluster.Grains;

/// <summary>What a <see cref="ShardChange"/> does to the points it selects.</summary>
[GenerateSerializer]
internal enum ShardChangeKind
{
    /// <summary>Inserts or replaces <see cref="ShardChange.Points"/>.</summary>
    Upsert,

    /// <summary>Deletes the points.</summary>
    Delete,

    /// <summary>Sets payload keys, keeping the others (Qdrant's <c>set_payload</c>).</summary>
    SetPayload,

    /// <summary>Replaces whole payloads (Qdrant's <c>overwrite_payload</c>).</summary>
    OverwritePayload,

    /// <summary>Removes payload keys (Qdrant's <c>delete_payload</c>).</summary>
    DeletePayloadKeys,

    /// <summary>Empties payloads (Qdrant's <c>clear_payload</c>).</summary>
    ClearPayload,

    /// <summary>Creates a payload index on <see cref="ShardChange.Field"/> of schema <see cref="ShardChange.Schema"/>.</summary>
    CreatePayloadIndex,

    /// <summary>Deletes the payload index on <see cref="ShardChange.Field"/>.</summary>
    DeletePayloadIndex,

    /// <summary>Replaces the points <see cref="ShardChange.Filter"/> selects with <see cref="ShardChange.Points"/> in one write (a document's chunks).</summary>
    Replace,
}

/// <summary>
/// A write, as it travels to a shard's primary and on to its replicas, and as a replica's catch-up log keeps it: the
/// points an upsert carries, or the points a change selects (ids as text, or a filter as JSON text: the gateway has
/// validated both) and what it does to them. Applied through the engine's own methods, so a replica changes exactly as
/// a single node would. Every kind takes the shard's next sequence number on one path (<see cref="IShardReplicaGrain.Write"/>).
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record ShardChange(
    [property: Id(0)] ShardChangeKind Kind, [property: Id(1)] IReadOnlyList<string>? Ids, [property: Id(2)] string? Filter,
    [property: Id(3)] string? Payload = null, [property: Id(4)] IReadOnlyList<string>? Keys = null,
    [property: Id(5)] string? Field = null, [property: Id(6)] string? Schema = null, [property: Id(7)] IReadOnlyList<WirePoint>? Points = null)
{
    /// <summary>An upsert of <paramref name="points"/>.</summary>
    public static ShardChange Upsert(IReadOnlyList<WirePoint> points) => new(ShardChangeKind.Upsert, null, null, Points: points);

    /// <summary>What it weighs in a catch-up log: the points an upsert carries or a change names, else one.</summary>
    public long Weight => Points?.Count ?? Ids?.Count ?? 1;

    /// <summary>
    /// Applies the change to a replica's collection. The engine's refusals of the input are
    /// <see cref="ArgumentException"/>s (a 400, and never a reason to mark the replica stale).
    /// </summary>
    public void ApplyTo(Collection collection)
    {
        try
        {
            Apply(collection);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    private void Apply(Collection collection)
    {
        switch (Kind)
        {
            case ShardChangeKind.Upsert:
                collection.Upsert([.. Points!.Select(p => p.ToPoint())]);
                break;
            case ShardChangeKind.Delete:
                if (Ids is { } ids) collection.Delete(ids.Select(PointId.Parse));
                else collection.Delete(ParseFilter(Filter!));
                break;
            case ShardChangeKind.SetPayload:
                collection.SetPayload(Selector(), ParsePayload());
                break;
            case ShardChangeKind.OverwritePayload:
                collection.OverwritePayload(Selector(), ParsePayload());
                break;
            case ShardChangeKind.DeletePayloadKeys:
                collection.DeletePayloadKeys(Selector(), Keys!);
                break;
            case ShardChangeKind.ClearPayload:
                collection.ClearPayload(Selector());
                break;
            case ShardChangeKind.CreatePayloadIndex:
                collection.CreatePayloadIndex(Field!, Schema!);
                break;
            case ShardChangeKind.DeletePayloadIndex:
                collection.DeletePayloadIndex(Field!);
                break;
            case ShardChangeKind.Replace:
                collection.Replace(ParseFilter(Filter!), [.. Points!.Select(p => p.ToPoint())]);
                break;
        }
    }

    private PointSelector Selector() => Ids is { } ids ? PointSelector.ByIds(ids.Select(PointId.Parse)) : PointSelector.ByFilter(ParseFilter(Filter!));

    private JsonObject ParsePayload() => JsonNode.Parse(Payload!)!.AsObject();

    /// <summary>A filter in JSON text, read as the single node reads it.</summary>
    public static Filter ParseFilter(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonValues.ParseFilter(document.RootElement, "filter");
    }
}

/// <summary>One stored point on the wire (a retrieval or a scroll page): its id as text, payload as JSON text, vector when asked for.</summary>
[GenerateSerializer, Immutable]
internal sealed record WireRecord([property: Id(0)] string Id, [property: Id(1)] string? Payload, [property: Id(2)] float[]? Vector)
{
    public static WireRecord From(PointRecord point) => new(point.Id.ToString(), point.Payload?.ToJsonString(), point.Vector);

    public PointRecord ToRecord() => new(PointId.Parse(Id), Payload is null ? null : JsonNode.Parse(Payload)!.AsObject(), Vector);
}

/// <summary>One shard's scroll page: its first points from the offset on, in id order, and the id after them (null when none).</summary>
[GenerateSerializer, Immutable]
internal sealed record WirePage([property: Id(0)] IReadOnlyList<WireRecord> Points, [property: Id(1)] string? NextOffset);
