using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.TestKit;
using BitSieve.Tests.Engine;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Damage inside <c>points.db</c> that leaves SQLite's b-trees well formed (what a flipped bit in a row's bytes, or a
/// b-tree that hides a row, looks like to a query): it is reported as a <see cref="CorruptFileException"/> naming
/// the file, by the reads that reach it, by the open where it changes which points exist, and by
/// <see cref="Database.Check"/>; never returned as a changed or shortened answer. And a points database of format 1
/// (before row checksums) is read as found and upgraded by the writer.
/// </summary>
public sealed class PointsDatabaseIntegrityTests : IDisposable
{
    private const int Dim = 8;
    private const int Total = 40;
    private readonly TempDirectory _dir = new();
    private readonly float[] _query = TestData.Gaussian(1, Dim, seed: 5);

    public void Dispose() => _dir.Dispose();

    private string Points => Path.Combine(_dir.Path, "collections", "c", PointStore.FileName);

    private void Build()
    {
        using var db = Database.Open(_dir.Path);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.Upsert(DatabaseTests.Points(Total, seed: 3, dim: Dim));
    }

    /// <summary>Changes points.db behind BitSieve's back, as damage would (SQLite keeps its b-trees well formed).</summary>
    private void Tamper(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Points};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SearchOptions All => new() { K = Total, Quality = Quality.Exact };

    private void AssertNamesPointsDb(CorruptFileException e) => Assert.Equal(Points, e.FilePath);

    [Theory]
    [InlineData("UPDATE points SET payload = '{\"n\":3,\"tag\":\"forged\"}' WHERE num_id = 3", true)]
    [InlineData("UPDATE points SET num_id = 999 WHERE num_id = 3", false)]
    public void A_changed_row_is_reported_by_every_read_that_reaches_it_and_by_check(string damage, bool payloadOnly)
    {
        Build();
        Tamper(damage);
        foreach (bool readOnly in new[] { true, false })
        {
            using var db = Database.Open(_dir.Path, new DatabaseOptions { ReadOnly = readOnly });
            var c = db.GetCollection("c");
            // Rows that are intact still read.
            Assert.Equal(1L, (long)c.Retrieve([1UL]).Single().Payload!["n"]!);

            AssertNamesPointsDb(Assert.Throws<CorruptFileException>(() => c.Search(_query, All, withPayload: true)));
            AssertNamesPointsDb(Assert.Throws<CorruptFileException>(() => c.Scroll(limit: Total)));
            AssertNamesPointsDb(Assert.Throws<CorruptFileException>(() => c.Retrieve([payloadOnly ? 3UL : 999UL])));
            if (!payloadOnly) AssertNamesPointsDb(Assert.Throws<CorruptFileException>(() => c.Search(_query, All, withPayload: false)));
            if (!readOnly)
                AssertNamesPointsDb(Assert.Throws<CorruptFileException>(() => c.SetPayload(PointSelector.ByIds([payloadOnly ? 3UL : 999UL]), new JsonObject())));
        }

        using (var db = Database.Open(_dir.Path, new DatabaseOptions { ReadOnly = true }))
        {
            var report = db.Check();
            Assert.False(report.IsSound);
            var problem = Assert.Single(report.Collections.Single().Problems);
            Assert.Equal("collections/c/points.db", problem.File);
            Assert.Contains("1 rows fail their checksum", problem.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_row_hidden_from_points_db_is_reported_by_a_search_and_by_the_next_open_not_dropped()
    {
        Build();
        using (var db = Database.Open(_dir.Path))
        {
            var c = db.GetCollection("c");
            Assert.Equal(Total, c.Search(_query, All).Hits.Count);
            Tamper("DELETE FROM points WHERE num_id = 3"); // the vector index still holds the point
            var e = Assert.Throws<CorruptFileException>(() => c.Search(_query, All, withPayload: false));
            AssertNamesPointsDb(e);
            Assert.Contains("no row for internal key", e.Message, StringComparison.Ordinal);
        }
        foreach (bool readOnly in new[] { true, false })
        {
            using var db = Database.Open(_dir.Path, new DatabaseOptions { ReadOnly = readOnly });
            var e = Assert.Throws<CorruptFileException>(() => db.GetCollection("c"));
            AssertNamesPointsDb(e);
            Assert.Contains($"it holds {Total - 1} points where the vector index holds {Total}", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_format_1_points_database_is_read_as_found_and_upgraded_by_the_writer()
    {
        Build();
        Tamper("ALTER TABLE points DROP COLUMN checksum");
        using (var connection = new SqliteConnection($"Data Source={Points};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 1";
            command.ExecuteNonQuery();
        }
        using (var db = Database.Open(_dir.Path, new DatabaseOptions { ReadOnly = true }))
        {
            Assert.Equal(Total, db.GetCollection("c").Scroll(limit: Total).Points.Count);
            Assert.Equal(1L, UserVersion());
        }
        using (var db = Database.Open(_dir.Path)) Assert.Equal(Total, db.GetCollection("c").Search(_query, All).Hits.Count);
        Assert.Equal(2L, UserVersion());
        using (var db = Database.Open(_dir.Path, new DatabaseOptions { ReadOnly = true })) Assert.True(db.Check().IsSound);

        // The upgraded rows are checked from then on.
        Tamper("UPDATE points SET payload = '{\"n\":3,\"tag\":\"forged\"}' WHERE num_id = 3");
        using (var db = Database.Open(_dir.Path))
            AssertNamesPointsDb(Assert.Throws<CorruptFileException>(() => db.GetCollection("c").Retrieve([3UL])));
    }

    private long UserVersion()
    {
        using var connection = new SqliteConnection($"Data Source={Points};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)command.ExecuteScalar()!;
    }
}
