using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;

namespace BitSieve.VectorData;

/// <summary>
/// How data property values are written to and read from a point's JSON payload. Numbers are JSON numbers (a
/// <see cref="float"/> is written as its exact <see cref="double"/> value, so filters compare it exactly), strings and
/// <see cref="Guid"/>s ("D" form) are JSON strings, <see cref="DateTime"/> and <see cref="DateTimeOffset"/> are ISO 8601
/// strings (round-trip "O" form, which the payload filters compare as instants), collections are JSON arrays, and
/// <c>null</c> is JSON <c>null</c>.
/// </summary>
internal static class PayloadValues
{
    public const string SupportedDataTypes =
        "string, int, long, short, byte, float, double, decimal, bool, Guid, DateTime, DateTimeOffset (and their nullable forms), " +
        "and arrays, List<T>, IList<T>, IReadOnlyList<T>, ICollection<T>, IReadOnlyCollection<T> or IEnumerable<T> of those";

    private static readonly HashSet<Type> Scalars =
    [
        typeof(string), typeof(int), typeof(long), typeof(short), typeof(byte), typeof(float), typeof(double), typeof(decimal),
        typeof(bool), typeof(Guid), typeof(DateTime), typeof(DateTimeOffset),
    ];

    private static readonly HashSet<Type> CollectionDefinitions =
    [
        typeof(List<>), typeof(IList<>), typeof(IReadOnlyList<>), typeof(ICollection<>), typeof(IReadOnlyCollection<>), typeof(IEnumerable<>),
    ];

    /// <summary>Whether <paramref name="type"/> is a supported scalar (nullable or not).</summary>
    public static bool IsScalar(Type type) => Scalars.Contains(Nullable.GetUnderlyingType(type) ?? type);

    /// <summary>The element type of a supported collection type.</summary>
    public static bool TryGetElementType(Type type, [NotNullWhen(true)] out Type? element)
    {
        element = type.IsArray && type.GetArrayRank() == 1 ? type.GetElementType()
            : type.IsGenericType && CollectionDefinitions.Contains(type.GetGenericTypeDefinition()) ? type.GetGenericArguments()[0]
            : null;
        if (element is not null && !IsScalar(element)) element = null;
        return element is not null;
    }

    /// <summary>Whether a data property of this type can be stored.</summary>
    public static bool IsSupported(Type type) => IsScalar(type) || TryGetElementType(type, out _);

    /// <summary>Whether a value of this type is integral (matched as a JSON integer).</summary>
    public static bool IsIntegral(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte));

    /// <summary>Whether a value of this type is a floating-point or decimal number.</summary>
    public static bool IsFractional(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(float) || t == typeof(double) || t == typeof(decimal));

    /// <summary>Whether a value of this type is a point in time.</summary>
    public static bool IsDateTime(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(DateTime) || t == typeof(DateTimeOffset));

    /// <summary>The payload index schema that serves filters on a property of this type, or null.</summary>
    public static string? IndexSchema(Type type)
    {
        if (TryGetElementType(type, out var element)) type = element;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type == typeof(Guid)) return "keyword";
        if (IsIntegral(type)) return "integer";
        if (IsFractional(type)) return "float";
        if (type == typeof(bool)) return "bool";
        if (IsDateTime(type)) return "datetime";
        return null;
    }

    /// <summary>The JSON form of a value of a supported type.</summary>
    public static JsonNode? ToNode(object? value, string property) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        float f => double.IsFinite(f) ? JsonValue.Create((double)f) : throw NotFinite(property, f),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : throw NotFinite(property, d),
        decimal m => JsonValue.Create(m),
        bool b => JsonValue.Create(b),
        Guid g => JsonValue.Create(g.ToString("D", CultureInfo.InvariantCulture)),
        DateTime t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        System.Collections.IEnumerable items => ToArray(items, property),
        _ => throw new NotSupportedException($"Property '{property}' holds a {value.GetType().Name}; supported types: {SupportedDataTypes}."),
    };

    /// <summary>Reads a value of <paramref name="type"/> from its JSON form (null or missing: the type's default).</summary>
    public static object? FromNode(JsonNode? node, Type type)
    {
        if (node is null || node.GetValueKind() == System.Text.Json.JsonValueKind.Null)
            return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? Activator.CreateInstance(type) : null;
        if (TryGetElementType(type, out var element)) return FromArray(node.AsArray(), type, element);
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string)) return node.GetValue<string>();
        if (t == typeof(int)) return node.GetValue<int>();
        if (t == typeof(long)) return node.GetValue<long>();
        if (t == typeof(short)) return node.GetValue<short>();
        if (t == typeof(byte)) return node.GetValue<byte>();
        if (t == typeof(float)) return (float)node.GetValue<double>();
        if (t == typeof(double)) return node.GetValue<double>();
        if (t == typeof(decimal)) return node.GetValue<decimal>();
        if (t == typeof(bool)) return node.GetValue<bool>();
        if (t == typeof(Guid)) return Guid.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture);
        if (t == typeof(DateTime)) return DateTime.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        if (t == typeof(DateTimeOffset)) return DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        throw new NotSupportedException($"Type {type.Name} is not a supported data property type; supported: {SupportedDataTypes}.");
    }

    private static JsonArray ToArray(System.Collections.IEnumerable items, string property)
    {
        var array = new JsonArray();
        foreach (object? item in items) array.Add(ToNode(item, property));
        return array;
    }

    private static object FromArray(JsonArray array, Type type, Type element)
    {
        var values = Array.CreateInstance(element, array.Count);
        for (int i = 0; i < array.Count; i++) values.SetValue(FromNode(array[i], element), i);
        if (type.IsArray) return values;
        // List<T> serves every supported interface (IList, IReadOnlyList, ICollection, IEnumerable, …).
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element), array.Count)!;
        foreach (object? value in values) list.Add(value);
        return list;
    }

    private static ArgumentException NotFinite(string property, double value) =>
        new($"Property '{property}' holds {value.ToString(CultureInfo.InvariantCulture)}, which JSON cannot represent.");
}
