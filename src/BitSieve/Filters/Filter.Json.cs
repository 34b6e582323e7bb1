using System.Text;
using System.Text.Json;
using BitSieve.Filters;

namespace BitSieve;

public sealed partial record Filter
{
    /// <summary>
    /// The filter as the JSON text <see cref="Parse(string)"/> reads, so that a filter built in code travels as text
    /// (to a cluster's shards) and is read back to an equal filter there: absent clauses are left out, integer ids
    /// are numbers, UUIDs strings, datetime bounds UTC text with milliseconds (their whole precision).
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            FilterWriter.Write(writer, this);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>Writes a <see cref="Filter"/> in Qdrant's filter JSON, the inverse of <see cref="FilterParser"/>.</summary>
internal static class FilterWriter
{
    public static void Write(Utf8JsonWriter writer, Filter filter)
    {
        writer.WriteStartObject();
        Clause(writer, "must", filter.Must);
        Clause(writer, "should", filter.Should);
        Clause(writer, "must_not", filter.MustNot);
        if (filter.MinShould is { } minShould)
        {
            writer.WriteStartObject("min_should");
            Clause(writer, "conditions", minShould.Conditions);
            writer.WriteNumber("min_count", minShould.MinCount);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static void Clause(Utf8JsonWriter writer, string name, IReadOnlyList<Condition>? conditions)
    {
        if (conditions is null) return;
        writer.WriteStartArray(name);
        foreach (var condition in conditions) Condition(writer, condition);
        writer.WriteEndArray();
    }

    private static void Condition(Utf8JsonWriter writer, Condition condition)
    {
        switch (condition)
        {
            case Filter filter:
                Write(writer, filter);
                return;
            case HasIdCondition hasId:
                writer.WriteStartObject();
                writer.WriteStartArray("has_id");
                foreach (var id in hasId.Ids) id.WriteTo(writer);
                writer.WriteEndArray();
                writer.WriteEndObject();
                return;
            case NestedCondition nested:
                writer.WriteStartObject();
                writer.WriteStartObject("nested");
                writer.WriteString("key", nested.Key.Text);
                writer.WritePropertyName("filter");
                Write(writer, nested.Filter);
                writer.WriteEndObject();
                writer.WriteEndObject();
                return;
            case IsEmptyCondition isEmpty:
                KeyObject(writer, "is_empty", isEmpty.Key);
                return;
            case IsNullCondition isNull:
                KeyObject(writer, "is_null", isNull.Key);
                return;
            case FieldCondition field:
                writer.WriteStartObject();
                writer.WriteString("key", field.Key.Text);
                Predicate(writer, field.Predicate);
                writer.WriteEndObject();
                return;
            default:
                throw new NotSupportedException($"A {condition.GetType().Name} condition has no JSON form.");
        }
    }

    private static void KeyObject(Utf8JsonWriter writer, string name, PayloadPath key)
    {
        writer.WriteStartObject();
        writer.WriteStartObject(name);
        writer.WriteString("key", key.Text);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void Predicate(Utf8JsonWriter writer, FieldPredicate predicate)
    {
        switch (predicate)
        {
            case MatchKeyword m:
                Match(writer, w => w.WriteString("value", m.Value));
                break;
            case MatchInteger m:
                Match(writer, w => w.WriteNumber("value", m.Value));
                break;
            case MatchBool m:
                Match(writer, w => w.WriteBoolean("value", m.Value));
                break;
            case MatchText m:
                Match(writer, w => w.WriteString("text", m.Text));
                break;
            case MatchAnyKeyword m:
                Match(writer, w => Strings(w, "any", m.Values));
                break;
            case MatchAnyInteger m:
                Match(writer, w => Integers(w, "any", m.Values));
                break;
            case MatchExceptKeyword m:
                Match(writer, w => Strings(w, "except", m.Values));
                break;
            case MatchExceptInteger m:
                Match(writer, w => Integers(w, "except", m.Values));
                break;
            case NumericRange r:
                Range(writer, "range", r.Gt, r.Gte, r.Lt, r.Lte, (w, key, v) => w.WriteNumber(key, v));
                break;
            case DatetimeRange r:
                Range(writer, "range", r.Gt, r.Gte, r.Lt, r.Lte, (w, key, v) => w.WriteString(key, v.ToString()));
                break;
            case ValuesCount c:
                Range(writer, "values_count", c.Gt, c.Gte, c.Lt, c.Lte, (w, key, v) => w.WriteNumber(key, v));
                break;
            default:
                throw new NotSupportedException($"A {predicate.GetType().Name} predicate has no JSON form.");
        }
    }

    private static void Match(Utf8JsonWriter writer, Action<Utf8JsonWriter> body)
    {
        writer.WriteStartObject("match");
        body(writer);
        writer.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static void Integers(Utf8JsonWriter writer, string name, IReadOnlyList<long> values)
    {
        writer.WriteStartArray(name);
        foreach (long value in values) writer.WriteNumberValue(value);
        writer.WriteEndArray();
    }

    // Utf8JsonWriter writes doubles in their shortest round-trip form, so the parser reads back the same bound.
    /// <summary>An object of the bounds that are set (<c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>), each written by <paramref name="write"/>.</summary>
    private static void Range<T>(Utf8JsonWriter writer, string name, T? gt, T? gte, T? lt, T? lte, Action<Utf8JsonWriter, string, T> write)
        where T : struct
    {
        writer.WriteStartObject(name);
        if (gt is { } a) write(writer, "gt", a);
        if (gte is { } b) write(writer, "gte", b);
        if (lt is { } c) write(writer, "lt", c);
        if (lte is { } d) write(writer, "lte", d);
        writer.WriteEndObject();
    }
}
