using System.Globalization;
using BitSieve.Filters;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage.Filters;

public sealed class PayloadIndexTests : IDisposable
{
    private readonly PointsDb _db = new();

    public PayloadIndexTests()
    {
        var random = new Random(7);
        using SqliteTransaction tx = _db.Connection.BeginTransaction();
        for (int i = 0; i < 3000; i++)
        {
            string date = new DateTime(2020, 1, 1).AddHours(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            _db.Add((ulong)i, $$"""{"city":"c{{random.Next(300)}}","n":{{random.Next(1000)}},"ok":{{(i % 50 == 0 ? "true" : "false")}},"d":"{{date}}","it's":"x{{i % 10}}"}""");
        }
        _db.Add(5000UL, """{"city":["c1","c2"],"n":[1,2],"ok":[true],"d":["2020-01-01T00:00:00Z"]}""");
        tx.Commit();
    }

    public void Dispose() => _db.Dispose();

    private string Plan(string filterJson)
    {
        FilterSqlClause clause = FilterSql.Translate(Filter.Parse(filterJson));
        using SqliteCommand cmd = _db.Connection.CreateCommand();
        cmd.CommandText = $"EXPLAIN QUERY PLAN SELECT key FROM points WHERE {clause.WhereClause}";
        clause.AddParametersTo(cmd);
        var lines = new List<string>();
        using SqliteDataReader r = cmd.ExecuteReader();
        while (r.Read()) lines.Add(r.GetString(3));
        return string.Join("\n", lines);
    }

    private void CreateIndex(string key, PayloadSchemaType schema)
    {
        // No ANALYZE: with statistics SQLite rightly prefers a scan for a boolean matching half the rows.
        foreach (string sql in PayloadIndex.CreateStatements(key, schema)) _db.Execute(sql);
    }

    [Theory]
    [InlineData("city", nameof(PayloadSchemaType.Keyword), """{"must":[{"key":"city","match":{"value":"c7"}}]}""")]
    [InlineData("city", nameof(PayloadSchemaType.Keyword), """{"must":[{"key":"city","match":{"any":["c7","c9"]}}]}""")]
    [InlineData("n", nameof(PayloadSchemaType.Integer), """{"must":[{"key":"n","match":{"value":42}}]}""")]
    [InlineData("n", nameof(PayloadSchemaType.Float), """{"must":[{"key":"n","range":{"gte":10,"lt":12}}]}""")]
    [InlineData("ok", nameof(PayloadSchemaType.Bool), """{"must":[{"key":"ok","match":{"value":true}}]}""")]
    [InlineData("d", nameof(PayloadSchemaType.Datetime), """{"must":[{"key":"d","range":{"gte":"2020-01-02T00:00:00+09:00","lt":"2020-01-02"}}]}""")]
    [InlineData("\"it's\"", nameof(PayloadSchemaType.Keyword), """{"must":[{"key":"\"it's\"","match":{"value":"x1"}}]}""")]
    public void The_planner_uses_the_payload_index(string key, string schema, string filter)
    {
        SortedSet<long> before = _db.Keys(filter);
        Assert.Contains("SCAN points", Plan(filter), StringComparison.Ordinal);
        CreateIndex(key, Enum.Parse<PayloadSchemaType>(schema));
        string plan = Plan(filter);
        Assert.DoesNotContain("SCAN points", plan, StringComparison.Ordinal);
        Assert.Contains("USING INDEX bs_payload_", plan, StringComparison.Ordinal);
        // Same answer with the index, array-valued rows included.
        Assert.Equal(before, _db.Keys(filter));
    }

    [Theory]
    [InlineData("city", nameof(PayloadSchemaType.Keyword), """{"must":[{"key":"city","match":{"value":"c7"}}]}""", "bs_payload_value_")]
    [InlineData("city", nameof(PayloadSchemaType.Keyword), """{"must":[{"key":"city","match":{"any":["c7","c9"]}}]}""", "bs_payload_value_")]
    [InlineData("n", nameof(PayloadSchemaType.Integer), """{"must":[{"key":"n","match":{"value":42}}]}""", "bs_payload_value_")]
    [InlineData("n", nameof(PayloadSchemaType.Integer), """{"must":[{"key":"n","range":{"gte":10,"lt":12}}]}""", "bs_payload_value_")]
    [InlineData("n", nameof(PayloadSchemaType.Float), """{"must":[{"key":"n","range":{"gte":10,"lt":12}}]}""", "bs_payload_value_")]
    [InlineData("d", nameof(PayloadSchemaType.Datetime), """{"must":[{"key":"d","range":{"gte":"2020-01-02T00:00:00+09:00","lt":"2020-01-02"}}]}""", "bs_payload_datetime_")]
    public void A_value_condition_reads_the_value_index_not_every_row_of_its_type(string key, string schema, string filter, string valueIndex)
    {
        // The json_type index matches nearly every row (all integers, all strings): searched for the scalar branch,
        // it made SQLite read every point's payload, so a 0.1 % filter cost as much as a 100 % one.
        CreateIndex(key, Enum.Parse<PayloadSchemaType>(schema));
        string plan = Plan(filter);
        // The scalar branch comes first: its search must be the value index's equality or range.
        string first = plan.Split('\n').First(line => line.Contains("USING INDEX", StringComparison.Ordinal));
        Assert.Contains("USING INDEX " + valueIndex, first, StringComparison.Ordinal);
    }

    [Fact]
    public void Statements_are_idempotent_and_name_the_expression_the_translator_emits()
    {
        IReadOnlyList<string> statements = PayloadIndex.CreateStatements("a.\"b c\"", PayloadSchemaType.Keyword);
        Assert.Equal(2, statements.Count);
        Assert.Contains("json_type(payload, '$.\"a\".\"b c\"')", statements[0], StringComparison.Ordinal);
        Assert.Contains("json_extract(payload, '$.\"a\".\"b c\"')", statements[1], StringComparison.Ordinal);
        string where = FilterSql.Translate(Filter.Parse("""{"must":[{"key":"a.\"b c\"","match":{"value":"x"}}]}""")).WhereClause;
        Assert.Contains("json_extract(payload, '$.\"a\".\"b c\"')", where, StringComparison.Ordinal);
        foreach (string sql in statements.Concat(statements)) _db.Execute(sql);
        foreach (string sql in PayloadIndex.DropStatements(PayloadPath.Parse("a.\"b c\""), PayloadSchemaType.Keyword, includeTypeIndex: true)) _db.Execute(sql);
        Assert.Throws<NotSupportedException>(() => PayloadIndex.CreateStatements("a[].b", PayloadSchemaType.Keyword));
        Assert.True(PayloadIndex.TryParseSchemaType("datetime", out PayloadSchemaType t) && t == PayloadSchemaType.Datetime);
    }

    [Fact]
    public void A_datetime_index_accepts_rows_holding_any_string()
    {
        CreateIndex("d", PayloadSchemaType.Datetime);
        // 'now' would make julianday() non-deterministic; the guard keeps it out of the index expression.
        _db.Add(9000UL, """{"d":"now"}""");
        _db.Add(9001UL, """{"d":"12:30"}""");
        Assert.Equal([1L, 3001L], _db.Keys("""{"must":[{"key":"d","range":{"lte":"2020-01-01T00:00:00Z"}}]}"""));
    }
}
