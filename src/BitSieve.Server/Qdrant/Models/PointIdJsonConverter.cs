using System.Text.Json;
using System.Text.Json.Serialization;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>Qdrant's <c>ExtendedPointId</c> on the wire: an unsigned integer or a UUID string.</summary>
internal sealed class PointIdJsonConverter : JsonConverter<PointId>
{
    public override PointId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var element = JsonDocument.ParseValue(ref reader);
        try
        {
            return PointId.Parse(element.RootElement);
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, PointId value, JsonSerializerOptions options) => value.WriteTo(writer);
}
