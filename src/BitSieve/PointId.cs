using System.Globalization;
using System.Text.Json;

namespace BitSieve;

/// <summary>
/// A point's id, as in Qdrant: an unsigned 64-bit integer or a UUID. Stored in SQLite as <c>num_id</c> (the integer
/// reinterpreted as signed) or <c>uuid</c> (lowercase, hyphenated).
/// </summary>
public readonly record struct PointId : IComparable<PointId>
{
    private readonly ulong _number;
    private readonly Guid _uuid;

    /// <summary>An integer id.</summary>
    public PointId(ulong number)
    {
        _number = number;
        IsUuid = false;
    }

    /// <summary>A UUID id.</summary>
    public PointId(Guid uuid)
    {
        _uuid = uuid;
        IsUuid = true;
    }

    /// <summary>Whether the id is a UUID (else an integer).</summary>
    public bool IsUuid { get; }

    /// <summary>The integer id; throws for a UUID.</summary>
    public ulong Number => IsUuid ? throw new InvalidOperationException($"Point id {this} is a UUID, not an integer.") : _number;

    /// <summary>The UUID; throws for an integer id.</summary>
    public Guid Uuid => IsUuid ? _uuid : throw new InvalidOperationException($"Point id {this} is an integer, not a UUID.");

    /// <summary>The integer id as SQLite stores it (signed reinterpretation), or null for a UUID.</summary>
    internal long? SqlNumber => IsUuid ? null : unchecked((long)_number);

    /// <summary>The UUID as SQLite stores it, or null for an integer id.</summary>
    internal string? SqlUuid => IsUuid ? _uuid.ToString("D", CultureInfo.InvariantCulture) : null;

    /// <summary>Rebuilds an id from its SQLite columns.</summary>
    internal static PointId FromSql(long? number, string? uuid) =>
        uuid is not null ? new PointId(Guid.Parse(uuid, CultureInfo.InvariantCulture)) : new PointId(unchecked((ulong)number!.Value));

    /// <summary>The id as JSON: a number or a UUID string.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (IsUuid) writer.WriteStringValue(SqlUuid);
        else writer.WriteNumberValue(_number);
    }

    /// <summary>Reads an id from JSON: a non-negative integer, or a string holding a UUID.</summary>
    /// <exception cref="FormatException">Anything else.</exception>
    public static PointId Parse(JsonElement element)
    {
        if (TryParse(element, out var id)) return id;
        throw new FormatException($"A point id must be an unsigned integer or a UUID; got {Describe(element)}.");
    }

    /// <summary>Reads an id from JSON as <see cref="Parse(JsonElement)"/> does; false instead of an exception.</summary>
    public static bool TryParse(JsonElement element, out PointId id)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out ulong number))
        {
            id = new PointId(number);
            return true;
        }
        // As Qdrant: a JSON string is a UUID (any common spelling, urn:uuid: included), never a number in quotes.
        string? text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (text is not null && text.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase)) text = text["urn:uuid:".Length..];
        if (text is not null && Guid.TryParse(text, out var uuid))
        {
            id = new PointId(uuid);
            return true;
        }
        id = default;
        return false;
    }

    /// <summary>Parses the text form: decimal digits, or a UUID.</summary>
    public static bool TryParse(string? text, out PointId id)
    {
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
        {
            id = new PointId(number);
            return true;
        }
        if (Guid.TryParse(text, out var uuid))
        {
            id = new PointId(uuid);
            return true;
        }
        id = default;
        return false;
    }

    /// <summary>Parses the text form; throws <see cref="FormatException"/> when it is neither an integer nor a UUID.</summary>
    public static PointId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is neither an unsigned integer nor a UUID point id.");

    /// <summary>An integer id.</summary>
    public static implicit operator PointId(ulong number) => new(number);

    /// <summary>A UUID id.</summary>
    public static implicit operator PointId(Guid uuid) => new(uuid);

    /// <summary>Integers first, in numeric order, then UUIDs in their byte order (Qdrant's scroll order).</summary>
    public int CompareTo(PointId other) =>
        IsUuid != other.IsUuid ? (IsUuid ? 1 : -1)
        : IsUuid ? string.CompareOrdinal(SqlUuid, other.SqlUuid) : _number.CompareTo(other._number);

    /// <summary>Decimal digits or the hyphenated UUID.</summary>
    public override string ToString() => IsUuid ? SqlUuid! : _number.ToString(CultureInfo.InvariantCulture);

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        _ => element.ValueKind.ToString().ToLowerInvariant(),
    };
}
