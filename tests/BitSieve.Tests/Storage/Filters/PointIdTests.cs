using System.Text.Json;

namespace BitSieve.Tests.Storage.Filters;

public sealed class PointIdTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    [InlineData("\"936DA01F-9ABD-4D9D-80C7-02AF85C822A8\"", "936da01f-9abd-4d9d-80c7-02af85c822a8")]
    [InlineData("\"936da01f9abd4d9d80c702af85c822a8\"", "936da01f-9abd-4d9d-80c7-02af85c822a8")]
    [InlineData("\"urn:uuid:936da01f-9abd-4d9d-80c7-02af85c822a8\"", "936da01f-9abd-4d9d-80c7-02af85c822a8")]
    public void Parses_json_ids(string json, string text)
    {
        PointId id = PointId.Parse(JsonDocument.Parse(json).RootElement);
        Assert.Equal(text, id.ToString());
        Assert.Equal(id, PointId.Parse(text));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("18446744073709551616")]
    [InlineData("\"12\"")]
    [InlineData("\"not-a-uuid\"")]
    [InlineData("null")]
    [InlineData("[1]")]
    public void Rejects_other_json(string json) =>
        Assert.Throws<FormatException>(() => PointId.Parse(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void Converts_to_and_from_the_sqlite_columns()
    {
        PointId big = ulong.MaxValue;
        Assert.Equal(-1L, big.SqlNumber);
        Assert.Null(big.SqlUuid);
        Assert.Equal(big, PointId.FromSql(-1L, null));
        PointId uuid = Guid.Parse("936DA01F-9ABD-4D9D-80C7-02AF85C822A8");
        Assert.Null(uuid.SqlNumber);
        Assert.Equal("936da01f-9abd-4d9d-80c7-02af85c822a8", uuid.SqlUuid);
        Assert.Equal(uuid, PointId.FromSql(null, uuid.SqlUuid));
        Assert.NotEqual(new PointId(0), new PointId(Guid.Empty));
        Assert.ThrowsAny<FormatException>(() => PointId.FromSql(null, "x"));
        Assert.Throws<InvalidOperationException>(() => uuid.Number);
    }
}
