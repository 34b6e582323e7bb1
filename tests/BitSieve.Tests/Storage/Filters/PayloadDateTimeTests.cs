using System.Globalization;
using BitSieve.Filters;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage.Filters;

public sealed class PayloadDateTimeTests
{
    [Theory]
    [InlineData("2023-02-08T10:49:00Z", "2023-02-08T10:49:00.000Z")]
    [InlineData("2023-02-08T19:49:00+09:00", "2023-02-08T10:49:00.000Z")]
    [InlineData("2023-02-08T10:49:00.123456-05:30", "2023-02-08T16:19:00.123Z")]
    [InlineData("2023-02-08", "2023-02-08T00:00:00.000Z")]
    [InlineData("2023-02-08 10:49", "2023-02-08T10:49:00.000Z")]
    [InlineData("2023-02-08 10:49:01", "2023-02-08T10:49:01.000Z")]
    [InlineData("2023-02-08T10:49:00.9999Z", "2023-02-08T10:49:00.999Z")] // SQLite clamps at .999
    [InlineData("2024-02-29T00:00:00z", "2024-02-29T00:00:00.000Z")]
    public void Parses_accepted_forms(string text, string utc) =>
        Assert.Equal(utc, PayloadDateTime.Parse(text).ToString());

    [Theory]
    [InlineData("2023-02-30")]
    [InlineData("2023-13-01")]
    [InlineData("2023-02-08T24:00:00Z")]
    [InlineData("2023-02-08T10:60:00Z")]
    [InlineData("2023-02-08T10:49:60Z")]
    [InlineData("2023-02-08T10:49Z")]
    [InlineData("2023-02-08T10:49:00+15:00")]
    [InlineData("2023-02-08T10:49:00+0900")]
    [InlineData("2023-02-08T10:49:00.Z")]
    [InlineData("2023-02-08T10:49:00.1234567890Z")]
    [InlineData("2023-02-08t10:49:00Z")]
    [InlineData("2023-02-08T10:49:00 Z")]
    [InlineData("0000-01-01")]
    [InlineData("now")]
    [InlineData("12:30")]
    [InlineData("2460000.5")]
    [InlineData("")]
    public void Rejects_other_text(string text) => Assert.False(PayloadDateTime.TryParse(text, out _));

    /// <summary>The evaluator's instant equals SQLite's julianday() for every accepted string, to the bit.</summary>
    [Fact]
    public void Agrees_with_sqlite_julianday()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using SqliteCommand cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT julianday($t)";
        SqliteParameter p = cmd.Parameters.Add("$t", SqliteType.Text);
        var random = new Random(11);
        for (int i = 0; i < 20_000; i++)
        {
            var t = new DateTime(1, 1, 1).AddDays(random.Next(0, 3_652_058)).AddMilliseconds(random.Next(86_400_000));
            string fraction = random.Next(4) == 0 ? "" : "." + string.Concat(Enumerable.Range(0, random.Next(1, 10)).Select(_ => random.Next(10) < 2 ? '9' : (char)('0' + random.Next(10))));
            string zone = random.Next(4) switch
            {
                0 => "",
                1 => "Z",
                _ => (random.Next(2) == 0 ? "+" : "-") + random.Next(0, 15).ToString("00", CultureInfo.InvariantCulture) + ":" + random.Next(0, 60).ToString("00", CultureInfo.InvariantCulture),
            };
            string text = random.Next(8) switch
            {
                0 => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                1 => t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                _ => t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + fraction + zone,
            };
            p.Value = text;
            object sqlite = cmd.ExecuteScalar()!;
            if (PayloadDateTime.TryParse(text, out PayloadDateTime parsed))
            {
                Assert.True(sqlite is double, text);
                Assert.Equal((double)sqlite, parsed.JulianMilliseconds / 86400000.0);
            }
            else
            {
                // Only the extremes (shifted past 9999-12-31 or before 0001 by a zone) are rejected here.
                Assert.True(t.Year is 1 or 9999, text);
            }
        }
    }
}
