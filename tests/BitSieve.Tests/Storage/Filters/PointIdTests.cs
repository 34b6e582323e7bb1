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
        PointId id = PointId.FromJson(JsonDocument.Parse(json).RootElement);
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
        Assert.Throws<FormatException>(() => PointId.FromJson(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void Converts_to_and_from_the_sqlite_columns()
    {
        PointId big = ulong.MaxValue;
        Assert.Equal(-1L, big.ToNumIdColumn());
        Assert.Null(big.ToUuidColumn());
        Assert.Equal(big, PointId.FromColumns(-1L, null));
        PointId uuid = Guid.Parse("936DA01F-9ABD-4D9D-80C7-02AF85C822A8");
        Assert.Null(uuid.ToNumIdColumn());
        Assert.Equal("936da01f-9abd-4d9d-80c7-02af85c822a8", uuid.ToUuidColumn());
        Assert.Equal(uuid, PointId.FromColumns(null, uuid.ToUuidColumn()));
        Assert.NotEqual(PointId.FromNumber(0), PointId.FromUuid(Guid.Empty));
        Assert.Throws<ArgumentException>(() => PointId.FromColumns(1, "x"));
        Assert.Throws<InvalidOperationException>(() => uuid.Number);
    }
}
