using System.Text.Json;
using BitSieve.Filters;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage.Filters;

/// <summary>An in-memory SQLite database with the collection's <c>points</c> table, and the same points in memory.</summary>
internal sealed class PointsDb : IDisposable
{
    private readonly List<(long Key, PointId Id, JsonElement Payload)> _points = [];

    public PointsDb()
    {
        Connection = new SqliteConnection("Data Source=:memory:");
        Connection.Open();
        Execute("""
            CREATE TABLE points(
              key     INTEGER PRIMARY KEY,
              num_id  INTEGER UNIQUE,
              uuid    TEXT UNIQUE,
              payload TEXT NOT NULL DEFAULT '{}')
            """);
    }

    public SqliteConnection Connection { get; }

    public IReadOnlyList<(long Key, PointId Id, JsonElement Payload)> Points => _points;

    public long Add(PointId id, string payloadJson)
    {
        long key = _points.Count + 1;
        using SqliteCommand cmd = Connection.CreateCommand();
        cmd.CommandText = "INSERT INTO points(key, num_id, uuid, payload) VALUES ($k, $n, $u, $p)";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$n", (object?)id.SqlNumber ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$u", (object?)id.SqlUuid ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$p", payloadJson);
        cmd.ExecuteNonQuery();
        _points.Add((key, id, JsonDocument.Parse(payloadJson).RootElement.Clone()));
        return key;
    }

    public void Execute(string sql)
    {
        using SqliteCommand cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Keys the SQL translation selects.</summary>
    public SortedSet<long> SqlKeys(Filter filter)
    {
        FilterSqlClause clause = FilterSql.Translate(filter);
        using SqliteCommand cmd = Connection.CreateCommand();
        cmd.CommandText = $"SELECT key FROM points WHERE {clause.WhereClause}";
        clause.AddParametersTo(cmd);
        var keys = new SortedSet<long>();
        using SqliteDataReader reader = cmd.ExecuteReader();
        while (reader.Read()) keys.Add(reader.GetInt64(0));
        return keys;
    }

    /// <summary>Keys the in-memory evaluator selects.</summary>
    public SortedSet<long> MemoryKeys(Filter filter) =>
        new(_points.Where(p => filter.Matches(p.Id, p.Payload)).Select(p => p.Key));

    /// <summary>The selected keys, after asserting that SQL and the evaluator agree.</summary>
    public SortedSet<long> Keys(Filter filter)
    {
        SortedSet<long> memory = MemoryKeys(filter);
        SortedSet<long> sql = SqlKeys(filter);
        Assert.Equal(memory, sql);
        return memory;
    }

    public SortedSet<long> Keys(string filterJson) => Keys(Filter.Parse(filterJson));

    public void Dispose() => Connection.Dispose();
}
