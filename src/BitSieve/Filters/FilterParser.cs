using System.Globalization;
using System.Text.Json;

namespace BitSieve.Filters;

/// <summary>Reads Qdrant filter JSON into <see cref="Filter"/> records, naming the JSON path of every error.</summary>
internal sealed class FilterParser
{
    private int _conditions;

    public Filter ParseRoot(JsonElement json) => ParseFilter(json, "$", depth: 1, insideNested: false);

    private Filter ParseFilter(JsonElement json, string path, int depth, bool insideNested)
    {
        if (depth > Filter.MaxDepth)
            throw new FilterFormatException(path, $"Filters are nested deeper than {Filter.MaxDepth} levels.");
        RequireKind(json, JsonValueKind.Object, path, "a filter object");
        IReadOnlyList<Condition>? must = null, should = null, mustNot = null;
        MinShould? minShould = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            switch (property.Name)
            {
                case "must":
                    must = ParseClause(property.Value, at, depth, insideNested);
                    break;
                case "should":
                    should = ParseClause(property.Value, at, depth, insideNested);
                    break;
                case "must_not":
                    mustNot = ParseClause(property.Value, at, depth, insideNested);
                    break;
                case "min_should":
                    minShould = ParseMinShould(property.Value, at, depth, insideNested);
                    break;
                default:
                    throw new FilterFormatException(at,
                        $"Unknown filter clause '{property.Name}'; expected must, should, must_not or min_should.");
            }
        }
        return new Filter(must, should, mustNot, minShould);
    }

    private Condition[]? ParseClause(JsonElement json, string path, int depth, bool insideNested)
    {
        if (json.ValueKind == JsonValueKind.Null) return null;
        // Qdrant also accepts a single condition in place of a one-element list.
        if (json.ValueKind == JsonValueKind.Object) return [ParseCondition(json, path, depth, insideNested)];
        RequireKind(json, JsonValueKind.Array, path, "a list of conditions");
        var list = new Condition[json.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in json.EnumerateArray())
        {
            list[i] = ParseCondition(item, $"{path}[{i}]", depth, insideNested);
            i++;
        }
        return list;
    }

    private MinShould? ParseMinShould(JsonElement json, string path, int depth, bool insideNested)
    {
        if (json.ValueKind == JsonValueKind.Null) return null;
        RequireKind(json, JsonValueKind.Object, path, "an object {\"conditions\":[…],\"min_count\":n}");
        Condition[]? conditions = null;
        int? minCount = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            switch (property.Name)
            {
                case "conditions":
                    conditions = ParseClause(property.Value, at, depth, insideNested);
                    break;
                case "min_count":
                    long n = ReadInteger(property.Value, at, "min_count");
                    if (n < 1 || n > int.MaxValue)
                        throw new FilterFormatException(at, $"min_count must be a positive integer, not {n}.");
                    minCount = (int)n;
                    break;
                default:
                    throw new FilterFormatException(at,
                        $"Unknown min_should field '{property.Name}'; expected conditions and min_count.");
            }
        }
        if (conditions is null) throw new FilterFormatException(path, "min_should needs a 'conditions' list.");
        if (minCount is null) throw new FilterFormatException(path, "min_should needs a 'min_count'.");
        return new MinShould(conditions, minCount.Value);
    }

    private Condition ParseCondition(JsonElement json, string path, int depth, bool insideNested)
    {
        if (++_conditions > Filter.MaxConditions)
            throw new FilterFormatException(path, $"The filter has more than {Filter.MaxConditions} conditions.");
        RequireKind(json, JsonValueKind.Object, path, "a condition object");

        bool isFilter = false, isField = false;
        string? other = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            switch (property.Name)
            {
                case "must" or "should" or "must_not" or "min_should":
                    isFilter = true;
                    break;
                case "key" or "match" or "range" or "values_count" or "geo_radius" or "geo_bounding_box"
                    or "geo_polygon" or "is_empty" or "is_null":
                    // is_empty/is_null are both a condition of their own and (newer Qdrant) a field-condition flag.
                    if (property.Name is "is_empty" or "is_null" && !json.TryGetProperty("key", out _))
                    {
                        other ??= property.Name;
                        if (other != property.Name) throw Mixed(path, other, property.Name);
                    }
                    else
                    {
                        isField = true;
                    }
                    break;
                case "has_id" or "nested" or "has_vector":
                    if (other is not null && other != property.Name) throw Mixed(path, other, property.Name);
                    other = property.Name;
                    break;
                default:
                    throw new FilterFormatException(Member(path, property.Name),
                        $"Unknown condition field '{property.Name}'.");
            }
        }
        if ((isFilter ? 1 : 0) + (isField ? 1 : 0) + (other is null ? 0 : 1) > 1)
            throw new FilterFormatException(path,
                "A condition is exactly one of: a nested filter (must/should/must_not/min_should), a field condition (key + match/range/values_count), is_empty, is_null, has_id or nested.");

        if (isField) return ParseFieldCondition(json, path);
        switch (other)
        {
            case "is_empty":
                return new IsEmptyCondition(ParseKeyObject(json.GetProperty("is_empty"), Member(path, "is_empty")));
            case "is_null":
                return new IsNullCondition(ParseKeyObject(json.GetProperty("is_null"), Member(path, "is_null")));
            case "has_id":
                if (insideNested)
                    throw new FilterNotSupportedException(Member(path, "has_id"),
                        "has_id cannot be used inside a nested condition (Qdrant ignores it there).");
                return ParseHasId(json.GetProperty("has_id"), Member(path, "has_id"));
            case "nested":
                return ParseNested(json.GetProperty("nested"), Member(path, "nested"), depth);
            case "has_vector":
                throw new FilterNotSupportedException(Member(path, "has_vector"), "has_vector conditions are not supported.");
        }
        // {} and objects holding only filter clauses are nested filters; {} matches everything.
        return ParseFilter(json, path, depth + 1, insideNested);
    }

    private static FilterFormatException Mixed(string path, string a, string b) =>
        new(path, $"A condition cannot hold both '{a}' and '{b}'.");

    private static Condition ParseFieldCondition(JsonElement json, string path)
    {
        PayloadPath? key = null;
        FieldPredicate? predicate = null;
        string? predicateName = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            if (property.Name == "key")
            {
                key = ParseKey(property.Value, at);
                continue;
            }
            if (property.Value.ValueKind == JsonValueKind.Null) continue;
            if (predicateName is not null)
                throw new FilterNotSupportedException(at,
                    $"A field condition with both '{predicateName}' and '{property.Name}' is not supported; combine two conditions under must or should.");
            predicateName = property.Name;
            predicate = property.Name switch
            {
                "match" => ParseMatch(property.Value, at),
                "range" => ParseRange(property.Value, at),
                "values_count" => ParseValuesCount(property.Value, at),
                "is_empty" or "is_null" => throw new FilterNotSupportedException(at,
                    $"The field-condition flag '{property.Name}' is not supported; use {{\"{property.Name}\":{{\"key\":…}}}}."),
                _ => throw new FilterNotSupportedException(at, $"'{property.Name}' (geo) conditions are not supported."),
            };
        }
        if (key is null) throw new FilterFormatException(path, "A field condition needs a 'key'.");
        if (predicate is null)
            throw new FilterFormatException(path, "A field condition needs one of match, range or values_count.");
        return new FieldCondition(key, predicate);
    }

    private static FieldPredicate ParseMatch(JsonElement json, string path)
    {
        RequireKind(json, JsonValueKind.Object, path, "a match object");
        FieldPredicate? result = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            if (result is not null)
                throw new FilterFormatException(at, "A match object holds exactly one of value, any, except, text.");
            JsonElement v = property.Value;
            result = property.Name switch
            {
                "value" => v.ValueKind switch
                {
                    JsonValueKind.String => new MatchKeyword(v.GetString()!),
                    JsonValueKind.True => new MatchBool(true),
                    JsonValueKind.False => new MatchBool(false),
                    JsonValueKind.Number => new MatchInteger(ReadInteger(v, at, "match.value")),
                    _ => throw new FilterFormatException(at,
                        $"match.value must be a string, an integer or a boolean, not {Describe(v)}."),
                },
                "any" => ParseList(v, at, "any") switch
                {
                    (_, long[] ints) => new MatchAnyInteger(ints),
                    (var strings, _) => new MatchAnyKeyword(strings!),
                },
                "except" => ParseList(v, at, "except") switch
                {
                    (_, long[] ints) => new MatchExceptInteger(ints),
                    (var strings, _) => new MatchExceptKeyword(strings!),
                },
                "text" => v.ValueKind == JsonValueKind.String
                    ? new MatchText(v.GetString()!)
                    : throw new FilterFormatException(at, $"match.text must be a string, not {Describe(v)}."),
                "text_any" or "phrase" or "prefix" => throw new FilterNotSupportedException(at,
                    $"match.{property.Name} is not supported; match.text (substring) is."),
                _ => throw new FilterFormatException(at,
                    $"Unknown match kind '{property.Name}'; expected value, any, except or text."),
            };
        }
        return result ?? throw new FilterFormatException(path, "A match object needs one of value, any, except, text.");
    }

    /// <summary>A list of strings or of integers (never mixed, as in Qdrant); an empty list counts as strings.</summary>
    private static (string[]? Strings, long[]? Integers) ParseList(JsonElement json, string path, string name)
    {
        RequireKind(json, JsonValueKind.Array, path, $"a list for match.{name}");
        int n = json.GetArrayLength();
        if (n == 0) return ([], null);
        JsonValueKind kind = json[0].ValueKind;
        if (kind == JsonValueKind.String)
        {
            var strings = new string[n];
            int i = 0;
            foreach (JsonElement item in json.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    throw new FilterFormatException($"{path}[{i}]",
                        $"match.{name} must hold only strings or only integers; found {Describe(item)} after a string.");
                strings[i++] = item.GetString()!;
            }
            return (strings, null);
        }
        if (kind == JsonValueKind.Number)
        {
            var ints = new long[n];
            int i = 0;
            foreach (JsonElement item in json.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number)
                    throw new FilterFormatException($"{path}[{i}]",
                        $"match.{name} must hold only strings or only integers; found {Describe(item)} after an integer.");
                ints[i] = ReadInteger(item, $"{path}[{i}]", $"match.{name}");
                i++;
            }
            return (null, ints);
        }
        throw new FilterFormatException($"{path}[0]", $"match.{name} must hold strings or integers, not {Describe(json[0])}.");
    }

    private static FieldPredicate ParseRange(JsonElement json, string path)
    {
        RequireKind(json, JsonValueKind.Object, path, "a range object");
        var numbers = new double?[4];
        var dates = new PayloadDateTime?[4];
        bool anyNumber = false, anyDate = false;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            int slot = property.Name switch
            {
                "gt" => 0,
                "gte" => 1,
                "lt" => 2,
                "lte" => 3,
                _ => throw new FilterFormatException(at, $"Unknown range bound '{property.Name}'; expected gt, gte, lt or lte."),
            };
            JsonElement v = property.Value;
            switch (v.ValueKind)
            {
                case JsonValueKind.Null:
                    break;
                case JsonValueKind.Number:
                    double d = double.Parse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (!double.IsFinite(d)) throw new FilterFormatException(at, $"The bound {v.GetRawText()} is not a finite number.");
                    numbers[slot] = d;
                    anyNumber = true;
                    break;
                case JsonValueKind.String:
                    if (!PayloadDateTime.TryParse(v.GetString()!, out PayloadDateTime t))
                        throw new FilterFormatException(at,
                            $"\"{v.GetString()}\" is not a datetime (RFC 3339 such as 2024-05-01T12:30:00Z or 2024-05-01T12:30:00+09:00, or YYYY-MM-DD[ HH:MM[:SS[.F]]]).");
                    dates[slot] = t;
                    anyDate = true;
                    break;
                default:
                    throw new FilterFormatException(at, $"A range bound must be a number or a datetime string, not {Describe(v)}.");
            }
        }
        if (anyNumber && anyDate)
            throw new FilterFormatException(path, "A range mixes numeric and datetime bounds.");
        return anyDate
            ? new DatetimeRange(dates[0], dates[1], dates[2], dates[3])
            : new NumericRange(numbers[0], numbers[1], numbers[2], numbers[3]);
    }

    private static ValuesCount ParseValuesCount(JsonElement json, string path)
    {
        RequireKind(json, JsonValueKind.Object, path, "a values_count object");
        var bounds = new long?[4];
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            int slot = property.Name switch
            {
                "gt" => 0,
                "gte" => 1,
                "lt" => 2,
                "lte" => 3,
                _ => throw new FilterFormatException(at, $"Unknown values_count bound '{property.Name}'; expected gt, gte, lt or lte."),
            };
            if (property.Value.ValueKind == JsonValueKind.Null) continue;
            long n = ReadInteger(property.Value, at, "values_count");
            if (n < 0) throw new FilterFormatException(at, $"values_count bounds are non-negative, not {n}.");
            bounds[slot] = n;
        }
        return new ValuesCount(bounds[0], bounds[1], bounds[2], bounds[3]);
    }

    private static HasIdCondition ParseHasId(JsonElement json, string path)
    {
        RequireKind(json, JsonValueKind.Array, path, "a list of point ids");
        var ids = new PointId[json.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in json.EnumerateArray())
        {
            if (!PointId.TryParse(item, out ids[i]))
                throw new FilterFormatException($"{path}[{i}]",
                    $"A point id must be a non-negative integer or a UUID string, not {Describe(item)}.");
            i++;
        }
        return new HasIdCondition(ids);
    }

    private NestedCondition ParseNested(JsonElement json, string path, int depth)
    {
        RequireKind(json, JsonValueKind.Object, path, "a nested object {\"key\":…,\"filter\":{…}}");
        PayloadPath? key = null;
        Filter? filter = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            string at = Member(path, property.Name);
            switch (property.Name)
            {
                case "key":
                    key = ParseKey(property.Value, at);
                    break;
                case "filter":
                    filter = ParseFilter(property.Value, at, depth + 1, insideNested: true);
                    break;
                default:
                    throw new FilterFormatException(at, $"Unknown nested field '{property.Name}'; expected key and filter.");
            }
        }
        if (key is null) throw new FilterFormatException(path, "A nested condition needs a 'key'.");
        if (filter is null) throw new FilterFormatException(path, "A nested condition needs a 'filter'.");
        return new NestedCondition(key, filter);
    }

    private static PayloadPath ParseKeyObject(JsonElement json, string path)
    {
        RequireKind(json, JsonValueKind.Object, path, "an object {\"key\":…}");
        PayloadPath? key = null;
        foreach (JsonProperty property in json.EnumerateObject())
        {
            if (property.Name != "key")
                throw new FilterFormatException(Member(path, property.Name), $"Unknown field '{property.Name}'; expected key.");
            key = ParseKey(property.Value, Member(path, "key"));
        }
        return key ?? throw new FilterFormatException(path, "Missing 'key'.");
    }

    private static PayloadPath ParseKey(JsonElement json, string path)
    {
        RequireKind(json, JsonValueKind.String, path, "a key string");
        return PayloadPath.TryParse(json.GetString()!, out PayloadPath? key, out string? error)
            ? key
            : throw new FilterFormatException(path, error);
    }

    private static long ReadInteger(JsonElement json, string path, string what)
    {
        if (json.ValueKind == JsonValueKind.Number)
        {
            string raw = json.GetRawText();
            if (raw.AsSpan().IndexOfAnyExcept("-0123456789") < 0
                && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            {
                return n;
            }
        }
        throw new FilterFormatException(path, $"{what} must be a 64-bit integer, not {Describe(json)}.");
    }

    private static void RequireKind(JsonElement json, JsonValueKind kind, string path, string what)
    {
        if (json.ValueKind != kind) throw new FilterFormatException(path, $"Expected {what}, found {Describe(json)}.");
    }

    private static string Member(string path, string name) =>
        name.Length > 0 && name.All(PayloadPath.IsBareChar) ? $"{path}.{name}" : $"{path}[\"{name}\"]";

    private static string Describe(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{Truncate(json.GetString()!)}\"",
        JsonValueKind.Number => $"the number {Truncate(json.GetRawText())}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
