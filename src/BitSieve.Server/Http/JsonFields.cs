using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BitSieve.Server.Http;

/// <summary>
/// Reads one JSON object of a request body field by field, with the field's path in every error, so that a client
/// learns exactly which value was wrong (<c>Format error in JSON body: `searches[2].limit`: expected an unsigned
/// integer, got the string "ten"</c>). Absent fields and JSON <c>null</c> read alike, as in Qdrant's schema, where
/// optional fields are nullable. Unknown fields are ignored, as Qdrant does.
/// </summary>
internal readonly struct JsonFields
{
    public JsonFields(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw ApiException.Format($"{Quote(path, "the body")}: expected an object, got {JsonValues.Describe(element)}");
        Element = element;
        Path = path;
    }

    /// <summary>The object.</summary>
    public JsonElement Element { get; }

    /// <summary>Where the object is in the body ("" for the body itself).</summary>
    public string Path { get; }

    /// <summary>The path of a field of this object.</summary>
    public string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    /// <summary>A field that is present and not null.</summary>
    public bool TryGet(string name, out JsonElement value)
    {
        if (Element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    /// <summary>Whether a field is present and not null.</summary>
    public bool Has(string name) => TryGet(name, out _);

    /// <summary>A field that must be present and not null.</summary>
    public JsonElement Required(string name) =>
        TryGet(name, out var value) ? value : throw ApiException.Format($"missing field `{Child(name)}`");

    /// <summary>A nested object, or null.</summary>
    public JsonFields? Object(string name) => TryGet(name, out var value) ? new JsonFields(value, Child(name)) : null;

    /// <summary>A boolean, or null.</summary>
    public bool? Bool(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw TypeError(name, "a boolean", value),
        };
    }

    /// <summary>A string, or null.</summary>
    public string? String(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw TypeError(name, "a string", value);
    }

    /// <summary>A non-negative integer that fits an <see cref="int"/>, or null.</summary>
    public int? Count(string name)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long n) && n >= 0)
            return n > int.MaxValue ? throw ApiException.Validation(Child(name), $"value {n} is too large") : (int)n;
        throw TypeError(name, "an unsigned integer", value);
    }

    /// <summary>A finite number, or null.</summary>
    public double? Number(string name)
    {
        if (!TryGet(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double x) && double.IsFinite(x)) return x;
        throw TypeError(name, "a number", value);
    }

    /// <summary>An array (each element is read by the caller), or null.</summary>
    public JsonElement? Array(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.Array ? value : throw TypeError(name, "an array", value);
    }

    /// <summary>A list of strings, or null.</summary>
    public List<string>? Strings(string name)
    {
        if (Array(name) is not { } array) return null;
        var list = new List<string>(array.GetArrayLength());
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiException.Format($"`{Child(name)}[{i}]`: expected a string, got {JsonValues.Describe(item)}");
            list.Add(item.GetString()!);
            i++;
        }
        return list;
    }

    /// <summary>A payload filter (Qdrant's filter language), or null.</summary>
    public Filter? Filter(string name) => TryGet(name, out var value) ? JsonValues.ParseFilter(value, Child(name)) : null;

    /// <summary>A JSON object as a mutable node (a payload), or null.</summary>
    public JsonObject? Payload(string name)
    {
        if (!TryGet(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.Object ? JsonObject.Create(value) : throw TypeError(name, "an object", value);
    }

    /// <summary>Refuses a field this server does not implement when it is present (not null and not <paramref name="harmless"/>).</summary>
    public void Unsupported(string name, string feature, string? hint = null, Func<JsonElement, bool>? harmless = null)
    {
        if (TryGet(name, out var value) && !(harmless?.Invoke(value) ?? false)) throw ApiException.NotSupported(feature, hint);
    }

    /// <summary>The error for a field of the wrong type.</summary>
    public ApiException TypeError(string name, string expected, JsonElement got) =>
        ApiException.Format($"`{Child(name)}`: expected {expected}, got {JsonValues.Describe(got)}");

    private static string Quote(string path, string whole) => path.Length == 0 ? whole : $"`{path}`";
}

/// <summary>Readers for the values that many requests share: vectors, point ids, filters.</summary>
internal static class JsonValues
{
    /// <summary>A short description of a JSON value for error messages.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Truncate(value.GetRawText())}",
        JsonValueKind.Number => $"the number {Truncate(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    /// <summary>A dense vector: an array of finite numbers. Named, sparse, multi- and inference vectors are refused.</summary>
    public static float[] ReadVector(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (value.TryGetProperty("indices", out _) || value.TryGetProperty("values", out _))
                throw ApiException.NotSupported($"a sparse vector at `{path}`", "send a dense vector: an array of numbers");
            // Qdrant's inference objects: {"text": "…", "model": "…"}, {"image": …, "model": …}, {"object": …, "model": …}.
            if (value.TryGetProperty("model", out _) || (value.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String))
                throw ApiException.NotSupported($"an inference object at `{path}`", "embed the text yourself, or use BitSieve's /v1 text API");
            throw ApiException.NotSupported($"a named vector at `{path}`", "BitSieve collections hold one unnamed vector per point: send it as a plain array of numbers");
        }
        if (value.ValueKind != JsonValueKind.Array)
            throw ApiException.Format($"`{path}`: expected a vector (an array of numbers), got {Describe(value)}");
        var vector = new float[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
                throw ApiException.NotSupported($"a multivector at `{path}`", "send one dense vector per point");
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out double x))
                throw ApiException.Format($"`{path}[{i}]`: expected a number, got {Describe(item)}");
            float f = (float)x;
            if (!float.IsFinite(f)) throw ApiException.WrongInput($"`{path}[{i}]` = {item.GetRawText()} does not fit a 32-bit float");
            vector[i++] = f;
        }
        return vector;
    }

    /// <summary>A point id: an unsigned integer or a UUID string.</summary>
    public static PointId ReadPointId(JsonElement value, string path) =>
        PointId.TryParse(value, out var id) ? id
        : throw ApiException.Format($"`{path}`: a point id must be an unsigned integer or a UUID, got {Describe(value)}");

    /// <summary>A list of point ids, at most <paramref name="max"/>.</summary>
    public static List<PointId> ReadPointIds(JsonElement value, string path, int max)
    {
        if (value.ValueKind != JsonValueKind.Array) throw ApiException.Format($"`{path}`: expected an array of point ids, got {Describe(value)}");
        int count = value.GetArrayLength();
        if (count > max) throw ApiException.Limit($"`{path}` lists {count} ids; this server accepts at most {max} per request");
        var ids = new List<PointId>(count);
        int i = 0;
        foreach (var item in value.EnumerateArray()) ids.Add(ReadPointId(item, $"{path}[{i++}]"));
        return ids;
    }

    /// <summary>A payload filter; format errors are 400 with the filter's JSON path, unsupported conditions say so.</summary>
    public static Filter ParseFilter(JsonElement value, string path)
    {
        try
        {
            return Filter.Parse(value);
        }
        catch (FilterNotSupportedException e)
        {
            throw ApiException.BadRequest($"`{path}{e.JsonPath.TrimStart('$')}`: {Bare(e)} BitSieve does not implement this part of Qdrant's filter language");
        }
        catch (FilterFormatException e)
        {
            throw ApiException.Format($"`{path}{e.JsonPath.TrimStart('$')}`: {Bare(e)}");
        }
    }

    private static string Bare(FilterFormatException e) =>
        e.Message.StartsWith(e.JsonPath + ": ", StringComparison.Ordinal) ? e.Message[(e.JsonPath.Length + 2)..] : e.Message;

    /// <summary>A point id as text for messages.</summary>
    public static string Text(PointId id) => id.IsUuid ? id.ToString() : id.Number.ToString(CultureInfo.InvariantCulture);

    private static string Truncate(string raw) => raw.Length <= 60 ? raw : raw[..57] + "...";
}
