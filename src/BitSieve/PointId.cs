using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace BitSieve;

/// <summary>
/// A point's external id, as Qdrant defines it: either an unsigned 64-bit integer or a UUID.
/// </summary>
/// <remarks>
/// In the collection database a numeric id lives in <c>points.num_id</c> as the signed reinterpretation of the
/// <see cref="ulong"/> (<see cref="ToNumIdColumn"/>), and a UUID lives in <c>points.uuid</c> as lowercase
/// hyphenated text (<see cref="ToUuidColumn"/>). Exactly one of the two columns is non-null for a point.
/// </remarks>
public readonly struct PointId : IEquatable<PointId>
{
    private readonly ulong _number;
    private readonly Guid _uuid;

    private PointId(ulong number, Guid uuid, bool isUuid)
    {
        _number = number;
        _uuid = uuid;
        IsUuid = isUuid;
    }

    /// <summary>True for a UUID id, false for a numeric id.</summary>
    public bool IsUuid { get; }

    /// <summary>The numeric id. Throws for a UUID id.</summary>
    public ulong Number => IsUuid ? throw new InvalidOperationException("The point id is a UUID, not a number.") : _number;

    /// <summary>The UUID. Throws for a numeric id.</summary>
    public Guid Uuid => IsUuid ? _uuid : throw new InvalidOperationException("The point id is a number, not a UUID.");

    /// <summary>A numeric id.</summary>
    public static PointId FromNumber(ulong number) => new(number, Guid.Empty, isUuid: false);

    /// <summary>A UUID id.</summary>
    public static PointId FromUuid(Guid uuid) => new(0, uuid, isUuid: true);

    /// <summary>Implicit conversion from a numeric id.</summary>
    public static implicit operator PointId(ulong number) => FromNumber(number);

    /// <summary>Implicit conversion from a UUID.</summary>
    public static implicit operator PointId(Guid uuid) => FromUuid(uuid);

    /// <summary>
    /// Parses a JSON id: a non-negative integer (no fraction, no exponent) up to <see cref="ulong.MaxValue"/>,
    /// or a string holding a UUID.
    /// </summary>
    /// <exception cref="FormatException">The element is neither.</exception>
    public static PointId FromJson(JsonElement element)
    {
        if (TryFromJson(element, out PointId id)) return id;
        throw new FormatException(
            $"A point id must be a non-negative integer or a UUID string, not {Describe(element)}.");
    }

    /// <summary>Non-throwing form of <see cref="FromJson"/>.</summary>
    public static bool TryFromJson(JsonElement element, out PointId id)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                // GetRawText keeps "1.0" and "1e3" distinguishable from "1"; only plain integers are ids.
                string raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAnyExcept("0123456789") < 0
                    && ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
                {
                    id = FromNumber(n);
                    return true;
                }
                break;
            case JsonValueKind.String:
                if (TryParseUuid(element.GetString()!, out Guid g))
                {
                    id = FromUuid(g);
                    return true;
                }
                break;
        }
        id = default;
        return false;
    }

    /// <summary>
    /// Parses the text form: decimal digits for a numeric id, otherwise a UUID (hyphenated, 32 hex digits,
    /// braced, or <c>urn:uuid:</c>-prefixed, any case).
    /// </summary>
    /// <exception cref="FormatException">The text is neither.</exception>
    public static PointId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out PointId id)) return id;
        throw new FormatException($"'{text}' is neither an unsigned 64-bit integer nor a UUID.");
    }

    /// <summary>Non-throwing form of <see cref="Parse"/>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PointId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text)) return false;
        if (text.AsSpan().IndexOfAnyExcept("0123456789") < 0)
        {
            if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)) return false;
            id = FromNumber(n);
            return true;
        }
        if (!TryParseUuid(text, out Guid g)) return false;
        id = FromUuid(g);
        return true;
    }

    /// <summary>Reads a point's id back from its two database columns (exactly one must be non-null).</summary>
    public static PointId FromColumns(long? numId, string? uuid)
    {
        if (numId.HasValue == (uuid is not null))
            throw new ArgumentException("Exactly one of num_id and uuid must be non-null.");
        return numId.HasValue ? FromNumber(unchecked((ulong)numId.Value)) : FromUuid(Guid.ParseExact(uuid!, "D"));
    }

    /// <summary>The <c>num_id</c> column value: the signed reinterpretation of the number; null for a UUID id.</summary>
    public long? ToNumIdColumn() => IsUuid ? null : unchecked((long)_number);

    /// <summary>The <c>uuid</c> column value: lowercase hyphenated 8-4-4-4-12; null for a numeric id.</summary>
    public string? ToUuidColumn() => IsUuid ? _uuid.ToString("D") : null;

    /// <summary>Decimal digits for a numeric id, lowercase hyphenated form for a UUID.</summary>
    public override string ToString() =>
        IsUuid ? _uuid.ToString("D") : _number.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool Equals(PointId other) =>
        IsUuid == other.IsUuid && (IsUuid ? _uuid == other._uuid : _number == other._number);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PointId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => IsUuid ? HashCode.Combine(1, _uuid) : HashCode.Combine(0, _number);

    /// <summary>Equality.</summary>
    public static bool operator ==(PointId left, PointId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PointId left, PointId right) => !left.Equals(right);

    private static bool TryParseUuid(string text, out Guid uuid)
    {
        ReadOnlySpan<char> s = text;
        if (s.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase)) s = s["urn:uuid:".Length..];
        return Guid.TryParseExact(s, "D", out uuid)
            || Guid.TryParseExact(s, "N", out uuid)
            || Guid.TryParseExact(s, "B", out uuid);
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        _ => element.ValueKind.ToString().ToLowerInvariant(),
    };
}
