using System.Text;
using BitSieve.Filters;

namespace BitSieve.Tests.Storage.Filters;

public sealed class FilterParseTests
{
    [Theory]
    [InlineData("""[]""", "$", "Expected a filter object")]
    [InlineData("""{"must":[{"key":"a","match":{"value":1}}],"filter":{}}""", "$.filter", "Unknown filter clause")]
    [InlineData("""{"must":{"key":"a","match":{"valeu":1}}}""", "$.must.match.valeu", "Unknown match kind")]
    [InlineData("""{"must":[{"key":"","match":{"value":1}}]}""", "$.must[0].key", "empty")]
    [InlineData("""{"must":[{"key":"a..b","match":{"value":1}}]}""", "$.must[0].key", "position 2")]
    [InlineData("""{"must":[{"key":"a b","match":{"value":1}}]}""", "$.must[0].key", "quote keys")]
    [InlineData("""{"must":[{"key":"a[x]","match":{"value":1}}]}""", "$.must[0].key", "[x]")]
    [InlineData("""{"must":[{"key":"\"a","match":{"value":1}}]}""", "$.must[0].key", "Unclosed")]
    [InlineData("""{"must":[{"key":"\"a\u0000b\"","match":{"value":1}}]}""", "$.must[0].key", "control")]
    [InlineData("""{"must":[{"key":7,"match":{"value":1}}]}""", "$.must[0].key", "Expected a key string")]
    [InlineData("""{"must":[{"match":{"value":1}}]}""", "$.must[0]", "needs a 'key'")]
    [InlineData("""{"must":[{"key":"a"}]}""", "$.must[0]", "needs one of match")]
    [InlineData("""{"must":[{"key":"a","match":{"value":1.5}}]}""", "$.must[0].match.value", "64-bit integer")]
    [InlineData("""{"must":[{"key":"a","match":{"value":null}}]}""", "$.must[0].match.value", "string, an integer or a boolean")]
    [InlineData("""{"must":[{"key":"a","match":{"value":1,"any":[1]}}]}""", "$.must[0].match.any", "exactly one")]
    [InlineData("""{"must":[{"key":"a","match":{"any":[1,"x"]}}]}""", "$.must[0].match.any[1]", "only strings or only integers")]
    [InlineData("""{"must":[{"key":"a","match":{"any":[true]}}]}""", "$.must[0].match.any[0]", "strings or integers")]
    [InlineData("""{"must":[{"key":"a","match":{"except":"x"}}]}""", "$.must[0].match.except", "a list")]
    [InlineData("""{"must":[{"key":"a","range":{"gt":1,"lt":"2024-01-01"}}]}""", "$.must[0].range", "mixes")]
    [InlineData("""{"must":[{"key":"a","range":{"gt":"yesterday"}}]}""", "$.must[0].range.gt", "not a datetime")]
    [InlineData("""{"must":[{"key":"a","range":{"between":1}}]}""", "$.must[0].range.between", "Unknown range bound")]
    [InlineData("""{"must":[{"key":"a","range":{"gt":true}}]}""", "$.must[0].range.gt", "number or a datetime")]
    [InlineData("""{"must":[{"key":"a","values_count":{"gt":-1}}]}""", "$.must[0].values_count.gt", "non-negative")]
    [InlineData("""{"must":[{"is_empty":{"field":"a"}}]}""", "$.must[0].is_empty.field", "Unknown field")]
    [InlineData("""{"must":[{"is_null":"a"}]}""", "$.must[0].is_null", "Expected an object")]
    [InlineData("""{"must":[{"has_id":[1,-2]}]}""", "$.must[0].has_id[1]", "non-negative integer or a UUID")]
    [InlineData("""{"must":[{"has_id":["not-a-uuid"]}]}""", "$.must[0].has_id[0]", "UUID")]
    [InlineData("""{"must":[{"has_id":[1],"is_null":{"key":"a"}}]}""", "$.must[0]", "both")]
    [InlineData("""{"must":[{"key":"a","match":{"value":1},"must":[]}]}""", "$.must[0]", "exactly one of")]
    [InlineData("""{"must":[{"color":"red"}]}""", "$.must[0].color", "Unknown condition field")]
    [InlineData("""{"should":[{"nested":{"key":"a","filter":{"must":[{"has_id":[1]}]}}}]}""", "$.should[0].nested.filter.must[0].has_id", "nested")]
    [InlineData("""{"must":[{"nested":{"key":"a"}}]}""", "$.must[0].nested", "needs a 'filter'")]
    [InlineData("""{"min_should":{"conditions":[],"min_count":0}}""", "$.min_should.min_count", "positive")]
    [InlineData("""{"min_should":{"min_count":1}}""", "$.min_should", "conditions")]
    [InlineData("""{"must":[{"key":"a","match":{"value":1}}""", "$", "not valid JSON")]
    public void Rejects_invalid_filters_naming_the_json_path(string json, string path, string message)
    {
        FilterFormatException e = Assert.ThrowsAny<FilterFormatException>(() => Filter.Parse(json));
        Assert.Equal(path, e.JsonPath);
        Assert.Contains(message, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Theory]
    [InlineData("""{"must":[{"key":"loc","geo_radius":{"center":{"lat":1,"lon":2},"radius":5}}]}""", "$.must[0].geo_radius")]
    [InlineData("""{"must":[{"has_vector":"image"}]}""", "$.must[0].has_vector")]
    [InlineData("""{"must":[{"key":"t","match":{"text_any":"a b"}}]}""", "$.must[0].match.text_any")]
    [InlineData("""{"must":[{"key":"a","is_empty":true}]}""", "$.must[0].is_empty")]
    [InlineData("""{"must":[{"key":"a","match":{"value":1},"range":{"gt":0}}]}""", "$.must[0].range")]
    public void Rejects_unsupported_features_with_a_distinct_exception(string json, string path)
    {
        FilterNotSupportedException e = Assert.Throws<FilterNotSupportedException>(() => Filter.Parse(json));
        Assert.Equal(path, e.JsonPath);
    }

    [Fact]
    public void Rejects_too_deep_nesting_without_crashing()
    {
        string Nest(int levels)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < levels; i++) sb.Append("{\"must\":[");
            sb.Append("{\"key\":\"a\",\"match\":{\"value\":1}}");
            for (int i = 0; i < levels; i++) sb.Append("]}");
            return sb.ToString();
        }
        Filter.Parse(Nest(Filter.MaxDepth - 1));
        Assert.Contains("deeper", Assert.ThrowsAny<FilterFormatException>(() => Filter.Parse(Nest(Filter.MaxDepth + 1))).Message);
        // Far beyond any limit: still an error, never a stack overflow.
        Assert.ThrowsAny<FilterFormatException>(() => Filter.Parse(Nest(100_000)));
    }

    [Fact]
    public void Rejects_too_many_conditions()
    {
        string Conditions(int n) =>
            "{\"should\":[" + string.Join(",", Enumerable.Repeat("{\"key\":\"a\",\"match\":{\"value\":1}}", n)) + "]}";
        Filter.Parse(Conditions(Filter.MaxConditions));
        FilterFormatException e = Assert.ThrowsAny<FilterFormatException>(() => Filter.Parse(Conditions(Filter.MaxConditions + 1)));
        Assert.Equal($"$.should[{Filter.MaxConditions}]", e.JsonPath);
    }

    [Fact]
    public void Parses_the_model()
    {
        Filter f = Filter.Parse("""
            {"must":[{"key":"city","match":{"value":"London"}},{"key":"n","match":{"any":[1,2]}},
                     {"key":"d","range":{"gte":"2024-01-01T00:00:00+09:00","lt":null}},{"key":"p","range":{"lt":5}}],
             "should":{"is_empty":{"key":"a[].\"b c\""}},
             "must_not":[{"has_id":[7,"936DA01F-9ABD-4D9D-80C7-02AF85C822A8"]},{"nested":{"key":"x","filter":{}}}],
             "min_should":{"conditions":[{"is_null":{"key":"z"}}],"min_count":1}}
            """);
        Assert.Equal(new MatchKeyword("London"), ((FieldCondition)f.Must![0]).Predicate);
        Assert.Equal([1L, 2L], ((MatchAnyInteger)((FieldCondition)f.Must[1]).Predicate).Values);
        var d = (DatetimeRange)((FieldCondition)f.Must[2]).Predicate;
        Assert.Equal(DateTimeOffset.Parse("2023-12-31T15:00:00Z", System.Globalization.CultureInfo.InvariantCulture), d.Gte!.Value.ToDateTimeOffset());
        Assert.Null(d.Lt);
        Assert.Equal(new NumericRange(Lt: 5), ((FieldCondition)f.Must[3]).Predicate);
        Assert.Equal("a[].\"b c\"", ((IsEmptyCondition)f.Should![0]).Key.Text);
        Assert.Equal("936da01f-9abd-4d9d-80c7-02af85c822a8", ((HasIdCondition)f.MustNot![0]).Ids[1].ToString());
        Assert.Equal(1, f.MinShould!.MinCount);
    }

    [Theory]
    [InlineData("a", "a")]
    [InlineData("a.b-c_d.é", "a.b-c_d.é")]
    [InlineData("a[].b[3][]", "a[].b[3][]")]
    [InlineData("\"a.b\".\"c d\"", "\"a.b\".\"c d\"")]
    [InlineData("\"plain\"", "plain")]
    [InlineData("\"it's $x\"", "\"it's $x\"")]
    public void Paths_round_trip_to_canonical_text(string key, string canonical) =>
        Assert.Equal(canonical, PayloadPath.Parse(key).Text);
}
