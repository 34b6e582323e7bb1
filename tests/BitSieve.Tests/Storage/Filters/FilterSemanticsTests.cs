using BitSieve.Filters;

namespace BitSieve.Tests.Storage.Filters;

/// <summary>
/// Each condition against hand-written expectations (Qdrant's documentation and its condition-checker tests);
/// every case runs through both the in-memory evaluator and SQLite.
/// </summary>
public sealed class FilterSemanticsTests : IDisposable
{
    private readonly PointsDb _db = new();

    public void Dispose() => _db.Dispose();

    private static long[] K(params long[] keys) => keys;

    private PointsDb Cities()
    {
        // Qdrant's filtering documentation example.
        _db.Add(1UL, """{ "city": "London", "color": "green" }""");
        _db.Add(2UL, """{ "city": "London", "color": "red" }""");
        _db.Add(3UL, """{ "city": "London", "color": "blue" }""");
        _db.Add(4UL, """{ "city": "Berlin", "color": "red" }""");
        _db.Add(5UL, """{ "city": "Moscow", "color": "green" }""");
        _db.Add(6UL, """{ "city": "Moscow", "color": "blue" }""");
        return _db;
    }

    [Fact]
    public void Clauses_follow_the_documented_examples()
    {
        PointsDb db = Cities();
        Assert.Equal(K(2), db.Keys("""{"must":[{"key":"city","match":{"value":"London"}},{"key":"color","match":{"value":"red"}}]}"""));
        Assert.Equal(K(1, 2, 3, 4), db.Keys("""{"should":[{"key":"city","match":{"value":"London"}},{"key":"color","match":{"value":"red"}}]}"""));
        Assert.Equal(K(5, 6), db.Keys("""{"must_not":[{"key":"city","match":{"value":"London"}},{"key":"color","match":{"value":"red"}}]}"""));
        Assert.Equal(K(1, 3), db.Keys("""{"must":[{"key":"city","match":{"value":"London"}}],"must_not":[{"key":"color","match":{"value":"red"}}]}"""));
        Assert.Equal(K(1, 3, 4, 5, 6), db.Keys("""{"must_not":[{"must":[{"key":"city","match":{"value":"London"}},{"key":"color","match":{"value":"red"}}]}]}"""));
        Assert.Equal(K(1, 2, 3, 4, 5), db.Keys("""{"min_should":{"conditions":[{"key":"city","match":{"value":"London"}},{"key":"color","match":{"value":"green"}},{"key":"color","match":{"value":"red"}}],"min_count":1}}"""));
        Assert.Equal(K(1, 2), db.Keys("""{"min_should":{"conditions":[{"key":"city","match":{"value":"London"}},{"key":"color","match":{"value":"green"}},{"key":"color","match":{"value":"red"}}],"min_count":2}}"""));
    }

    [Fact]
    public void Empty_clauses_follow_Qdrant()
    {
        PointsDb db = Cities();
        Assert.Equal(K(1, 2, 3, 4, 5, 6), db.Keys("{}"));
        Assert.Equal(K(1, 2, 3, 4, 5, 6), db.Keys("""{"must":[]}"""));
        Assert.Equal(K(1, 2, 3, 4, 5, 6), db.Keys("""{"must_not":[]}"""));
        Assert.Empty(db.Keys("""{"should":[]}""")); // Qdrant issue #554: an empty should matches nothing.
        Assert.Empty(db.Keys("""{"min_should":{"conditions":[],"min_count":1}}"""));
        Assert.Equal(K(1, 2, 3, 4, 5, 6), db.Keys("""{"must":null,"should":null}"""));
        Assert.Equal(K(1, 2, 3, 4, 5, 6), db.Keys("""{"must":[{}]}"""));
    }

    [Fact]
    public void Match_value_keyword_integer_bool_and_arrays()
    {
        long a = _db.Add(1UL, """{"v":"red","n":5,"b":true}""");
        long b = _db.Add(2UL, """{"v":["blue","red"],"n":[1,5.0],"b":[false,true]}""");
        long c = _db.Add(3UL, """{"v":"Red","n":5.5,"b":"true"}""");
        long d = _db.Add(4UL, """{"v":[["red"]],"n":"5","b":1}""");
        long e = _db.Add(5UL, """{"v":{"x":"red"},"n":null}""");
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"v","match":{"value":"red"}}]}"""));
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"n","match":{"value":5}}]}""")); // 5.0 == 5 (JSON numbers)
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"b","match":{"value":true}}]}"""));
        Assert.Equal(K(b), _db.Keys("""{"must":[{"key":"b","match":{"value":false}}]}"""));
        Assert.Equal(K(c, d, e), _db.Keys("""{"must_not":[{"key":"v","match":{"value":"red"}}]}"""));
    }

    [Fact]
    public void Match_any_and_except()
    {
        long a = _db.Add(1UL, """{"c":"black"}""");
        long b = _db.Add(2UL, """{"c":"red"}""");
        long c = _db.Add(3UL, """{"c":["red","green"]}""");
        long d = _db.Add(4UL, """{"c":["red"]}""");
        long e = _db.Add(5UL, """{"c":null}""");
        long f = _db.Add(6UL, """{}""");
        long g = _db.Add(7UL, """{"c":[]}""");
        long h = _db.Add(8UL, """{"c":3}""");
        long i = _db.Add(9UL, """{"c":[null,"red"]}""");
        long j = _db.Add(10UL, """{"c":{"x":1}}""");
        Assert.Equal(K(b, c, d, i), _db.Keys("""{"must":[{"key":"c","match":{"any":["red","green"]}}]}"""));
        Assert.Empty(_db.Keys("""{"must":[{"key":"c","match":{"any":[]}}]}"""));
        // Qdrant: except holds for a value other than the listed ones; for an array, for at least one element; null,
        // a missing key and an empty array never hold; numbers, booleans and objects do.
        Assert.Equal(K(a, h, j), _db.Keys("""{"must":[{"key":"c","match":{"except":["red","green","white"]}}]}"""));
        Assert.Equal(K(a, c, h, j), _db.Keys("""{"must":[{"key":"c","match":{"except":["red"]}}]}"""));
        Assert.Equal(K(a, b, c, d, i, j), _db.Keys("""{"must":[{"key":"c","match":{"except":[3]}}]}"""));
        Assert.Equal(K(a, b, c, d, i, j), _db.Keys("""{"must":[{"key":"c","match":{"except":[3, 4]}}]}"""));
        Assert.Equal(K(a, b, c, d, h, i, j), _db.Keys("""{"must":[{"key":"c","match":{"except":[]}}]}"""));
        Assert.DoesNotContain(e, _db.Keys("""{"must":[{"key":"c","match":{"except":["x"]}}]}"""));
        Assert.DoesNotContain(f, _db.Keys("""{"must":[{"key":"c","match":{"except":["x"]}}]}"""));
        Assert.DoesNotContain(g, _db.Keys("""{"must":[{"key":"c","match":{"except":["x"]}}]}"""));
    }

    [Fact]
    public void Match_text_is_an_ordinal_substring()
    {
        long a = _db.Add(1UL, """{"t":"Qdrant is a vector database"}""");
        long b = _db.Add(2UL, """{"t":["nothing","a vector"]}""");
        _db.Add(3UL, """{"t":"Vector"}""");
        _db.Add(4UL, """{"t":42}""");
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"t","match":{"text":"vector"}}]}"""));
        Assert.Equal(K(1, 2, 3), _db.Keys("""{"must":[{"key":"t","match":{"text":""}}]}"""));
    }

    [Fact]
    public void Numeric_ranges_compare_JSON_numbers()
    {
        long a = _db.Add(1UL, """{"p":1}""");
        long b = _db.Add(2UL, """{"p":1.5}""");
        long c = _db.Add(3UL, """{"p":[0, 7]}""");
        long d = _db.Add(4UL, """{"p":"2"}""");
        long e = _db.Add(5UL, """{"p":9007199254740993}""");
        long f = _db.Add(6UL, """{"p":true}""");
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"p","range":{"gte":1,"lte":1.5}}]}"""));
        Assert.Equal(K(b, c, e), _db.Keys("""{"must":[{"key":"p","range":{"gt":1}}]}"""));
        Assert.Equal(K(a, b, c, e), _db.Keys("""{"must":[{"key":"p","range":{}}]}""")); // any number
        // 2^53+1 is greater than the double 2^53 (exact integer/float comparison, as SQLite's).
        Assert.Equal(K(e), _db.Keys("""{"must":[{"key":"p","range":{"gt":9007199254740992}}]}"""));
        Assert.DoesNotContain(d, _db.Keys("""{"must":[{"key":"p","range":{"gte":0}}]}"""));
        Assert.DoesNotContain(f, _db.Keys("""{"must":[{"key":"p","range":{"gte":0}}]}"""));
    }

    [Fact]
    public void Datetime_ranges_compare_instants_across_offsets()
    {
        long a = _db.Add(1UL, """{"d":"2023-02-08T10:49:00Z"}""");
        long b = _db.Add(2UL, """{"d":"2023-02-08T19:49:00+09:00"}"""); // same instant as a
        long c = _db.Add(3UL, """{"d":"2023-02-08"}""");                 // midnight UTC
        long d = _db.Add(4UL, """{"d":"2023-02-08 11:00"}""");
        long e = _db.Add(5UL, """{"d":["2020-01-01T00:00:00Z","2023-02-08T10:49:00.5-00:30"]}""");
        _db.Add(6UL, """{"d":"2023-02-30T00:00:00Z"}"""); // not a date
        _db.Add(7UL, """{"d":"now"}""");
        _db.Add(8UL, """{"d":20230208}""");
        _db.Add(9UL, """{"d":"2023-02-08T24:00:00Z"}""");
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"d","range":{"gte":"2023-02-08T10:49:00Z","lte":"2023-02-08T10:49:00Z"}}]}"""));
        Assert.Equal(K(a, b, d, e), _db.Keys("""{"must":[{"key":"d","range":{"gt":"2023-02-08T00:00:00Z"}}]}"""));
        Assert.Equal(K(a, b, c, d, e), _db.Keys("""{"must":[{"key":"d","range":{"gte":"2023-02-08"}}]}"""));
        Assert.Equal(K(e), _db.Keys("""{"must":[{"key":"d","range":{"lt":"2023-02-08T09:00:00+09:00"}}]}"""));
        Assert.Equal(K(c, e), _db.Keys("""{"must":[{"key":"d","range":{"lte":"2023-02-08T09:00:00+09:00"}}]}"""));
    }

    [Fact]
    public void Is_empty_and_is_null_follow_Qdrant_condition_checker()
    {
        // The payload of Qdrant's query_checker test.
        _db.Add(1UL, """{"price":499.90,"amount":10,"rating":[3,7,9,9],"color":"red","parts":[],"packaging":null,"not_null":[null]}""");
        bool Has(string json) => _db.Keys(json).Count == 1;
        Assert.False(Has("""{"must":[{"is_empty":{"key":"price"}}]}"""));
        Assert.True(Has("""{"must":[{"is_empty":{"key":"something_new"}}]}"""));
        Assert.True(Has("""{"must":[{"is_empty":{"key":"parts"}}]}"""));
        Assert.True(Has("""{"must":[{"is_empty":{"key":"packaging"}}]}"""));
        Assert.False(Has("""{"must":[{"is_empty":{"key":"not_null"}}]}"""));
        Assert.False(Has("""{"must":[{"is_null":{"key":"amount"}}]}"""));
        Assert.False(Has("""{"must":[{"is_null":{"key":"parts"}}]}"""));
        Assert.False(Has("""{"must":[{"is_null":{"key":"something_else"}}]}"""));
        Assert.True(Has("""{"must":[{"is_null":{"key":"packaging"}}]}"""));
        Assert.False(Has("""{"must":[{"is_null":{"key":"not_null"}}]}"""));
        Assert.False(Has("""{"must":[{"key":"rating","values_count":{"gte":10}}]}"""));
        Assert.True(Has("""{"must":[{"key":"rating","values_count":{"lt":5}}]}"""));
        Assert.True(Has("""{"must":[{"key":"missing","values_count":{"lt":1}}]}"""));
        Assert.True(Has("""{"must":[{"key":"packaging","values_count":{"lte":0}}]}"""));
        Assert.True(Has("""{"must":[{"key":"color","values_count":{"gte":1,"lte":1}}]}"""));
        Assert.False(Has("""{"must_not":[{"key":"rating","range":{"lte":5}}]}"""));
    }

    [Fact]
    public void Nested_keys_and_array_projection()
    {
        // Qdrant's nested-key documentation example.
        long a = _db.Add(1UL, """{"country":{"name":"Germany","cities":[{"name":"Berlin","population":3.7,"sightseeing":["Brandenburg Gate","Reichstag"]},{"name":"Munich","population":1.5,"sightseeing":["Marienplatz","Olympiapark"]}]}}""");
        long b = _db.Add(2UL, """{"country":{"name":"Japan","cities":[{"name":"Tokyo","population":9.3,"sightseeing":["Tokyo Tower","Tokyo Skytree"]},{"name":"Osaka","population":2.7,"sightseeing":["Osaka Castle","Universal Studios Japan"]}]}}""");
        long c = _db.Add(3UL, """{"country":{"name":"Iceland","cities":[]}}""");
        Assert.Equal(K(a), _db.Keys("""{"should":[{"key":"country.name","match":{"value":"Germany"}}]}"""));
        Assert.Equal(K(b), _db.Keys("""{"should":[{"key":"country.cities[].population","range":{"gte":9.0}}]}"""));
        Assert.Equal(K(a), _db.Keys("""{"should":[{"key":"country.cities[].sightseeing","match":{"value":"Olympiapark"}}]}"""));
        Assert.Equal(K(c), _db.Keys("""{"must":[{"is_empty":{"key":"country.cities[].population"}}]}"""));
        Assert.Equal(K(b), _db.Keys("""{"must":[{"key":"country.cities[1].name","match":{"value":"Osaka"}}]}"""));
        // a.b does not look into an array held by a (Qdrant's JSON path v2).
        Assert.Empty(_db.Keys("""{"must":[{"key":"country.cities.name","match":{"value":"Berlin"}}]}"""));
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"country.cities[].sightseeing","values_count":{"gte":2}}]}"""));
    }

    [Fact]
    public void Nested_condition_tests_each_object_on_its_own()
    {
        // Qdrant's nested-object documentation example.
        long a = _db.Add(1UL, """{"dinosaur":"t-rex","diet":[{"food":"leaves","likes":false},{"food":"meat","likes":true}]}""");
        long b = _db.Add(2UL, """{"dinosaur":"diplodocus","diet":[{"food":"leaves","likes":true},{"food":"meat","likes":false}]}""");
        Assert.Equal(K(a, b), _db.Keys("""{"must":[{"key":"diet[].food","match":{"value":"meat"}},{"key":"diet[].likes","match":{"value":true}}]}"""));
        Assert.Equal(K(a), _db.Keys("""{"must":[{"nested":{"key":"diet","filter":{"must":[{"key":"food","match":{"value":"meat"}},{"key":"likes","match":{"value":true}}]}}}]}"""));
        Assert.Equal(K(b), _db.Keys("""{"must":[{"nested":{"key":"diet[]","filter":{"must":[{"key":"food","match":{"value":"leaves"}}],"must_not":[{"key":"likes","match":{"value":false}}]}}}]}"""));
    }

    [Fact]
    public void Has_id_selects_integer_and_uuid_ids()
    {
        var uuid = Guid.Parse("5c56c793-69f3-4fbf-87e6-c4bf54c28c26");
        long a = _db.Add(1UL, "{}");
        long b = _db.Add(ulong.MaxValue, "{}");
        long c = _db.Add(uuid, "{}");
        _db.Add(3UL, "{}");
        Assert.Equal(K(a, b, c), _db.Keys($$"""{"must":[{"has_id":[1, 18446744073709551615, "{{uuid.ToString().ToUpperInvariant()}}", 99]}]}"""));
        Assert.Empty(_db.Keys("""{"must":[{"has_id":[]}]}"""));
    }

    [Fact]
    public void Keys_with_quotes_dollars_and_dots_are_literal_and_safe()
    {
        long a = _db.Add(1UL, """{"it's $x.y":"v","a":{"b'); DROP TABLE points; --":1}}""");
        _db.Add(2UL, """{"it's $x":{"y":"v"}}""");
        Assert.Equal(K(a), _db.Keys("""{"must":[{"key":"\"it's $x.y\"","match":{"value":"v"}}]}"""));
        Assert.Equal(K(a), _db.Keys("""{"must":[{"key":"a.\"b'); DROP TABLE points; --\"","match":{"value":1}}]}"""));
        Assert.Equal(K(a), _db.Keys("""{"must":[{"key":"a","match":{"except":["'); DROP TABLE points; --"]}}]}"""));
        Assert.Equal(2, _db.Keys("{}").Count);
    }
}
