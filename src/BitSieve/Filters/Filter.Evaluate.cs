using System.Text.Json;
using BitSieve.Filters;

namespace BitSieve;

public sealed partial record Filter
{
    /// <summary>
    /// Whether the point with <paramref name="id"/> and <paramref name="payload"/> (a JSON object; anything else is
    /// read as an empty payload) passes this filter. This is the reference semantics that
    /// <see cref="FilterSql.Translate"/> reproduces in SQLite.
    /// </summary>
    public bool Matches(PointId id, JsonElement payload) => FilterEvaluator.Matches(this, id, payload, hasId: true);
}

/// <summary>In-memory evaluation of a <see cref="Filter"/> against one point.</summary>
internal static class FilterEvaluator
{
    public static bool Matches(Filter filter, PointId id, JsonElement payload, bool hasId)
    {
        if (filter.Should is { } should && !AnyMatches(should, id, payload, hasId)) return false;
        if (filter.MinShould is { } minShould)
        {
            int count = 0;
            foreach (Condition c in minShould.Conditions)
            {
                if (Matches(c, id, payload, hasId) && ++count >= minShould.MinCount) break;
            }
            if (count < minShould.MinCount) return false;
        }
        if (filter.Must is { } must)
        {
            foreach (Condition c in must)
            {
                if (!Matches(c, id, payload, hasId)) return false;
            }
        }
        if (filter.MustNot is { } mustNot && AnyMatches(mustNot, id, payload, hasId)) return false;
        return true;
    }

    private static bool AnyMatches(IReadOnlyList<Condition> conditions, PointId id, JsonElement payload, bool hasId)
    {
        foreach (Condition c in conditions)
        {
            if (Matches(c, id, payload, hasId)) return true;
        }
        return false;
    }

    private static bool Matches(Condition condition, PointId id, JsonElement payload, bool hasId)
    {
        switch (condition)
        {
            case Filter f:
                return Matches(f, id, payload, hasId);
            case FieldCondition field:
            {
                List<JsonElement> values = ValuesAt(payload, field.Key);
                if (values.Count == 0) return field.Predicate is ValuesCount vc0 && vc0.Check(0);
                foreach (JsonElement v in values)
                {
                    if (CheckValue(field.Predicate, v)) return true;
                }
                return false;
            }
            case IsEmptyCondition isEmpty:
                foreach (JsonElement v in ValuesAt(payload, isEmpty.Key))
                {
                    bool empty = v.ValueKind == JsonValueKind.Null
                        || (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0);
                    if (!empty) return false;
                }
                return true;
            case IsNullCondition isNull:
                foreach (JsonElement v in ValuesAt(payload, isNull.Key))
                {
                    if (v.ValueKind == JsonValueKind.Null) return true;
                }
                return false;
            case HasIdCondition has:
                if (!hasId) return false;
                foreach (PointId candidate in has.Ids)
                {
                    if (candidate == id) return true;
                }
                return false;
            case NestedCondition nested:
                foreach (JsonElement element in ValuesAt(payload, nested.Key.WithTrailingWildcard()))
                {
                    if (element.ValueKind == JsonValueKind.Object && Matches(nested.Filter, id, element, hasId: false))
                        return true;
                }
                return false;
            default:
                throw new NotSupportedException($"Unknown condition type {condition.GetType().Name}.");
        }
    }

    /// <summary>The values a path selects (Qdrant's JSON path v2): a step that does not apply selects nothing.</summary>
    internal static List<JsonElement> ValuesAt(JsonElement root, PayloadPath path)
    {
        var result = new List<JsonElement>();
        if (root.ValueKind == JsonValueKind.Object) Collect(root, path.Span, result);
        return result;
    }

    private static void Collect(JsonElement current, ReadOnlySpan<PathSegment> rest, List<JsonElement> result)
    {
        if (rest.IsEmpty)
        {
            result.Add(current);
            return;
        }
        PathSegment step = rest[0];
        switch (step.Kind)
        {
            case PathSegmentKind.Key:
                if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(step.Key!, out JsonElement child))
                    Collect(child, rest[1..], result);
                break;
            case PathSegmentKind.Index:
                if (current.ValueKind == JsonValueKind.Array && step.Index < current.GetArrayLength())
                    Collect(current[step.Index], rest[1..], result);
                break;
            default:
                if (current.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement element in current.EnumerateArray()) Collect(element, rest[1..], result);
                }
                break;
        }
    }

    /// <summary>One selected value: values_count counts it; any other predicate tests it, or each element of an array.</summary>
    private static bool CheckValue(FieldPredicate predicate, JsonElement value)
    {
        if (predicate is ValuesCount vc)
        {
            long count = value.ValueKind switch
            {
                JsonValueKind.Null => 0,
                JsonValueKind.Array => value.GetArrayLength(),
                _ => 1,
            };
            return vc.Check(count);
        }
        if (value.ValueKind != JsonValueKind.Array) return CheckLeaf(predicate, value);
        foreach (JsonElement element in value.EnumerateArray())
        {
            if (CheckLeaf(predicate, element)) return true;
        }
        return false;
    }

    private static bool CheckLeaf(FieldPredicate predicate, JsonElement v)
    {
        switch (predicate)
        {
            case MatchKeyword k:
                return v.ValueKind == JsonValueKind.String && v.ValueEquals(k.Value);
            case MatchInteger n:
                return v.ValueKind == JsonValueKind.Number && PayloadNumber.From(v).EqualsInteger(n.Value);
            case MatchBool b:
                return v.ValueKind == (b.Value ? JsonValueKind.True : JsonValueKind.False);
            case MatchAnyKeyword any:
                return v.ValueKind == JsonValueKind.String && ContainsString(any.Values, v);
            case MatchAnyInteger any:
                return v.ValueKind == JsonValueKind.Number && ContainsNumber(any.Values, PayloadNumber.From(v));
            case MatchExceptKeyword except:
                return v.ValueKind switch
                {
                    JsonValueKind.Null => false,
                    JsonValueKind.String => !ContainsString(except.Values, v),
                    _ => true,
                };
            case MatchExceptInteger except:
                return v.ValueKind switch
                {
                    JsonValueKind.Null => false,
                    JsonValueKind.Number => !ContainsNumber(except.Values, PayloadNumber.From(v)),
                    _ => true,
                };
            case MatchText text:
                return v.ValueKind == JsonValueKind.String
                    && v.GetString()!.Contains(text.Text, StringComparison.Ordinal);
            case NumericRange r:
            {
                if (v.ValueKind != JsonValueKind.Number) return false;
                PayloadNumber x = PayloadNumber.From(v);
                return (r.Gt is not { } gt || x.CompareTo(gt) > 0) && (r.Gte is not { } gte || x.CompareTo(gte) >= 0)
                    && (r.Lt is not { } lt || x.CompareTo(lt) < 0) && (r.Lte is not { } lte || x.CompareTo(lte) <= 0);
            }
            case DatetimeRange r:
            {
                if (v.ValueKind != JsonValueKind.String || !PayloadDateTime.TryParse(v.GetString()!, out PayloadDateTime t))
                    return false;
                return (r.Gt is not { } gt || t > gt) && (r.Gte is not { } gte || t >= gte)
                    && (r.Lt is not { } lt || t < lt) && (r.Lte is not { } lte || t <= lte);
            }
            default:
                throw new NotSupportedException($"Unknown predicate type {predicate.GetType().Name}.");
        }
    }

    private static bool ContainsString(IReadOnlyList<string> list, JsonElement v)
    {
        foreach (string s in list)
        {
            if (v.ValueEquals(s)) return true;
        }
        return false;
    }

    private static bool ContainsNumber(IReadOnlyList<long> list, PayloadNumber x)
    {
        foreach (long n in list)
        {
            if (x.EqualsInteger(n)) return true;
        }
        return false;
    }
}
