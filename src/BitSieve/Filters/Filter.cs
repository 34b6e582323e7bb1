using System.Text.Json;
using BitSieve.Filters;

namespace BitSieve;

/// <summary>
/// A Qdrant-style payload filter: <c>{"must":[…],"should":[…],"must_not":[…],"min_should":{…}}</c>.
/// A filter is itself a <see cref="Condition"/>, so filters nest.
/// </summary>
/// <remarks>
/// <para>Semantics (as Qdrant's): every clause present must hold. <c>must</c>: all conditions hold (an empty list
/// holds). <c>should</c>: at least one holds, so an empty list matches nothing (Qdrant issue #554).
/// <c>must_not</c>: none holds. <c>min_should</c>: at least <c>min_count</c> of its conditions hold. An absent
/// clause (or JSON <c>null</c>) is no constraint, so <c>{}</c> matches every point.</para>
/// <para>Parse with <see cref="Parse(string)"/>, or build one from <see cref="FieldCondition"/>s and the other
/// conditions; pass it to <see cref="Collection.Search"/>, <see cref="Collection.Scroll"/>, <see cref="Collection.CountPoints"/>
/// and the other filtered calls, or evaluate it in memory with <see cref="Matches"/> (the reference semantics, which
/// the collection's SQLite translation follows).</para>
/// </remarks>
/// <param name="Must">All of these must hold; null when absent.</param>
/// <param name="Should">At least one of these must hold; null when absent.</param>
/// <param name="MustNot">None of these may hold; null when absent.</param>
/// <param name="MinShould">At least <see cref="BitSieve.MinShould.MinCount"/> of its conditions must hold; null when absent.</param>
public sealed partial record Filter(
    IReadOnlyList<Condition>? Must = null,
    IReadOnlyList<Condition>? Should = null,
    IReadOnlyList<Condition>? MustNot = null,
    MinShould? MinShould = null) : Condition
{
    /// <summary>The deepest nesting of filters (and <c>nested</c> conditions) that <see cref="Parse(string)"/> accepts.</summary>
    public const int MaxDepth = 32;

    /// <summary>The most conditions, counted over the whole tree, that <see cref="Parse(string)"/> accepts.</summary>
    public const int MaxConditions = 1024;

    /// <summary>The filter that matches every point.</summary>
    public static Filter All { get; } = new();

    /// <summary>Parses a filter from its JSON text.</summary>
    /// <exception cref="FilterFormatException">The JSON is malformed or is not a valid filter.</exception>
    /// <exception cref="FilterNotSupportedException">The filter uses a Qdrant feature this engine lacks.</exception>
    public static Filter Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            // Each filter level costs up to three JSON levels (object, clause array, condition object).
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth * 4 + 8 });
        }
        catch (JsonException e)
        {
            throw new FilterFormatException("$", $"The filter is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            return Parse(document.RootElement);
        }
    }

    /// <summary>Parses a filter from a JSON element (a copy is taken: the element's document may be disposed after).</summary>
    /// <exception cref="FilterFormatException">The element is not a valid filter.</exception>
    /// <exception cref="FilterNotSupportedException">The filter uses a Qdrant feature this engine lacks.</exception>
    public static Filter Parse(JsonElement json) => new FilterParser().ParseRoot(json);
}

/// <summary><c>min_should</c>: at least <paramref name="MinCount"/> of <paramref name="Conditions"/> must hold.</summary>
/// <param name="Conditions">The candidate conditions.</param>
/// <param name="MinCount">How many must hold, at least 1.</param>
public sealed record MinShould(IReadOnlyList<Condition> Conditions, int MinCount);

/// <summary>One condition of a filter clause.</summary>
public abstract record Condition;

/// <summary>A condition on the values at one payload key: <c>{"key":…,"match"|"range"|"values_count":…}</c>.</summary>
/// <remarks>
/// The key selects zero or more values (more than one only through <c>[]</c>). The condition holds when any
/// selected value satisfies <paramref name="Predicate"/>, where a value that is an array satisfies it when any of
/// its elements does (one level: arrays inside arrays are not searched). With no value selected the condition is
/// false, except <see cref="ValuesCount"/>, which then tests a count of 0.
/// </remarks>
/// <param name="Key">The payload key.</param>
/// <param name="Predicate">What the values must satisfy.</param>
public sealed record FieldCondition(PayloadPath Key, FieldPredicate Predicate) : Condition;

/// <summary><c>{"is_empty":{"key":…}}</c>: every value at the key is null or an empty array (true when the key is missing).</summary>
/// <param name="Key">The payload key.</param>
public sealed record IsEmptyCondition(PayloadPath Key) : Condition;

/// <summary><c>{"is_null":{"key":…}}</c>: some value at the key is JSON <c>null</c> (false when missing; <c>[null]</c> is an array, not null).</summary>
/// <param name="Key">The payload key.</param>
public sealed record IsNullCondition(PayloadPath Key) : Condition;

/// <summary><c>{"has_id":[…]}</c>: the point's id is one of <paramref name="Ids"/>.</summary>
/// <param name="Ids">The ids.</param>
public sealed record HasIdCondition(IReadOnlyList<PointId> Ids) : Condition;

/// <summary>
/// <c>{"nested":{"key":…,"filter":{…}}}</c>: some object element of the array at <paramref name="Key"/> satisfies
/// <paramref name="Filter"/> on its own (the inner filter's keys are relative to that element).
/// </summary>
/// <param name="Key">The key of the array of objects (a trailing <c>[]</c> is implied).</param>
/// <param name="Filter">The filter each element is tested against; it may not use <c>has_id</c>.</param>
public sealed record NestedCondition(PayloadPath Key, Filter Filter) : Condition;

/// <summary>What the values of a <see cref="FieldCondition"/> must satisfy.</summary>
public abstract record FieldPredicate;

/// <summary><c>{"match":{"value":"…"}}</c>: a string equal to <paramref name="Value"/> (ordinal, case-sensitive).</summary>
/// <param name="Value">The keyword.</param>
public sealed record MatchKeyword(string Value) : FieldPredicate;

/// <summary><c>{"match":{"value":42}}</c>: a number equal to <paramref name="Value"/> (JSON number semantics: 1.0 equals 1).</summary>
/// <param name="Value">The integer.</param>
public sealed record MatchInteger(long Value) : FieldPredicate;

/// <summary><c>{"match":{"value":true}}</c>: a boolean equal to <paramref name="Value"/>.</summary>
/// <param name="Value">The boolean.</param>
public sealed record MatchBool(bool Value) : FieldPredicate;

/// <summary><c>{"match":{"any":["a","b"]}}</c>: a string equal to one of <paramref name="Values"/>.</summary>
/// <param name="Values">The keywords; empty matches nothing.</param>
public sealed record MatchAnyKeyword(IReadOnlyList<string> Values) : FieldPredicate;

/// <summary><c>{"match":{"any":[1,2]}}</c>: a number equal to one of <paramref name="Values"/>.</summary>
/// <param name="Values">The integers; empty matches nothing.</param>
public sealed record MatchAnyInteger(IReadOnlyList<long> Values) : FieldPredicate;

/// <summary>
/// <c>{"match":{"except":["a","b"]}}</c>: a value that is not null and is not a string equal to one of
/// <paramref name="Values"/>. Numbers, booleans, objects and nested arrays satisfy it (as in Qdrant).
/// </summary>
/// <param name="Values">The excluded keywords.</param>
public sealed record MatchExceptKeyword(IReadOnlyList<string> Values) : FieldPredicate;

/// <summary>
/// <c>{"match":{"except":[1,2]}}</c>: a value that is not null and is not a number equal to one of
/// <paramref name="Values"/>. Strings, booleans, objects and nested arrays satisfy it (as in Qdrant).
/// </summary>
/// <param name="Values">The excluded integers.</param>
public sealed record MatchExceptInteger(IReadOnlyList<long> Values) : FieldPredicate;

/// <summary><c>{"match":{"text":"…"}}</c>: a string containing <paramref name="Text"/> (ordinal substring; no tokenizer).</summary>
/// <param name="Text">The substring.</param>
public sealed record MatchText(string Text) : FieldPredicate;

/// <summary><c>{"range":{"gt":…,"gte":…,"lt":…,"lte":…}}</c> with numbers: a number within every given bound.</summary>
/// <param name="Gt">Exclusive lower bound.</param>
/// <param name="Gte">Inclusive lower bound.</param>
/// <param name="Lt">Exclusive upper bound.</param>
/// <param name="Lte">Inclusive upper bound.</param>
public sealed record NumericRange(double? Gt = null, double? Gte = null, double? Lt = null, double? Lte = null) : FieldPredicate;

/// <summary>
/// <c>{"range":{"gt":"2024-01-01T00:00:00Z",…}}</c> (Qdrant's <c>DatetimeRange</c>): a string that parses as a
/// datetime (see <see cref="PayloadDateTime"/>) whose instant is within every given bound.
/// </summary>
/// <param name="Gt">Exclusive lower bound.</param>
/// <param name="Gte">Inclusive lower bound.</param>
/// <param name="Lt">Exclusive upper bound.</param>
/// <param name="Lte">Inclusive upper bound.</param>
public sealed record DatetimeRange(
    PayloadDateTime? Gt = null, PayloadDateTime? Gte = null, PayloadDateTime? Lt = null, PayloadDateTime? Lte = null) : FieldPredicate;

/// <summary>
/// <c>{"values_count":{"gt":…,"gte":…,"lt":…,"lte":…}}</c>: the number of values (array length; 1 for a scalar or an
/// object; 0 for null or a missing key) is within every given bound.
/// </summary>
/// <param name="Gt">Exclusive lower bound.</param>
/// <param name="Gte">Inclusive lower bound.</param>
/// <param name="Lt">Exclusive upper bound.</param>
/// <param name="Lte">Inclusive upper bound.</param>
public sealed record ValuesCount(long? Gt = null, long? Gte = null, long? Lt = null, long? Lte = null) : FieldPredicate
{
    /// <summary>Whether <paramref name="count"/> is within every given bound.</summary>
    public bool Check(long count) =>
        (Gt is not { } gt || count > gt) && (Gte is not { } gte || count >= gte)
        && (Lt is not { } lt || count < lt) && (Lte is not { } lte || count <= lte);
}
