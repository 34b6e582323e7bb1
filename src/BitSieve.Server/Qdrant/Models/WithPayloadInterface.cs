using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Server.Http;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>
/// Qdrant's <c>with_payload</c>: <c>true</c>/<c>false</c>, a list of keys to include, <c>{"include":[…]}</c> or
/// <c>{"exclude":[…]}</c>. Keys may be dotted paths into nested objects (<c>a.b</c>).
/// </summary>
internal sealed record WithPayloadInterface(bool Enabled, IReadOnlyList<string>? Include, IReadOnlyList<string>? Exclude)
{
    public static readonly WithPayloadInterface All = new(true, null, null);
    public static readonly WithPayloadInterface None = new(false, null, null);

    /// <summary>Reads the field <c>with_payload</c> of <paramref name="body"/>, or <paramref name="byDefault"/> when absent.</summary>
    public static WithPayloadInterface Read(JsonFields body, WithPayloadInterface byDefault)
    {
        if (!body.TryGet("with_payload", out var value)) return byDefault;
        string path = body.Child("with_payload");
        switch (value.ValueKind)
        {
            case JsonValueKind.True: return All;
            case JsonValueKind.False: return None;
            case JsonValueKind.Array: return new(true, body.Strings("with_payload"), null);
            case JsonValueKind.Object:
                var selector = new JsonFields(value, path);
                if (selector.Strings("include") is { } include) return new(true, include, null);
                if (selector.Strings("exclude") is { } exclude) return new(true, null, exclude);
                throw ApiException.Format($"`{path}`: expected `include` or `exclude`");
            default:
                throw body.TypeError("with_payload", "a boolean, a list of keys, or {\"include\":[…]} / {\"exclude\":[…]}", value);
        }
    }

    /// <summary>The payload to return (a projection of <paramref name="payload"/>), or null when payloads are not wanted.</summary>
    public JsonObject? Apply(JsonObject? payload)
    {
        if (!Enabled || payload is null) return null;
        if (Include is not null)
        {
            var kept = new JsonObject();
            foreach (string key in Include) CopyPath(payload, kept, key.Split('.'));
            return kept;
        }
        if (Exclude is not null)
            foreach (string key in Exclude) RemovePath(payload, key.Split('.'));
        return payload;
    }

    private static void CopyPath(JsonObject from, JsonObject to, ReadOnlySpan<string> path)
    {
        if (!from.TryGetPropertyValue(path[0], out var value)) return;
        if (path.Length == 1)
        {
            to[path[0]] = value?.DeepClone();
            return;
        }
        if (value is not JsonObject inner) return;
        if (to[path[0]] is not JsonObject target)
        {
            target = [];
            to[path[0]] = target;
        }
        CopyPath(inner, target, path[1..]);
    }

    private static void RemovePath(JsonObject from, ReadOnlySpan<string> path)
    {
        if (path.Length == 1) from.Remove(path[0]);
        else if (from[path[0]] is JsonObject inner) RemovePath(inner, path[1..]);
    }
}

/// <summary>Qdrant's <c>with_vector</c>: a boolean (a list of vector names asks for named vectors, which BitSieve lacks).</summary>
internal static class WithVectorSelector
{
    public static bool Read(JsonFields body, bool byDefault = false)
    {
        if (!body.TryGet("with_vector", out var value)) return byDefault;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Array when value.GetArrayLength() == 0 => false,
            JsonValueKind.Array => throw ApiException.NotSupported("named vectors in `with_vector`", "use true or false"),
            _ => throw body.TypeError("with_vector", "a boolean", value),
        };
    }
}
