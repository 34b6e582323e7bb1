using System.Globalization;

namespace BitSieve;

/// <summary>
/// An instant parsed from a payload or filter datetime string, at millisecond precision.
/// </summary>
/// <remarks>
/// <para>Accepted text (Qdrant's datetime formats, restricted to what SQLite's date functions read identically):</para>
/// <list type="bullet">
/// <item><c>YYYY-MM-DD</c> (midnight UTC)</item>
/// <item><c>YYYY-MM-DD HH:MM</c> or <c>YYYY-MM-DDTHH:MM</c> (UTC)</item>
/// <item><c>YYYY-MM-DDTHH:MM:SS</c>, optionally <c>.F</c> with 1–9 fraction digits, optionally a zone <c>Z</c>,
/// <c>z</c> or <c>±HH:MM</c> (hours 00–14); a space may replace the <c>T</c>; no zone means UTC.</item>
/// </list>
/// <para>Years 0001–9999, real calendar dates, hours 00–23, minutes and seconds 00–59 (no leap second). Anything
/// else is not a datetime, and a datetime range never matches it.</para>
/// <para>The instant is SQLite's: milliseconds since the Julian epoch, with fraction digits beyond the
/// millisecond rounded half-up and fractions above .999 clamped to .999 (SQLite 3.42+). Instants that differ by
/// less than a millisecond compare equal — a deviation from Qdrant, which keeps microseconds.</para>
/// </remarks>
public readonly struct PayloadDateTime : IEquatable<PayloadDateTime>, IComparable<PayloadDateTime>
{
    // SQLite's bounds for a julian-day-times-86400000 value: 0 … 9999-12-31 23:59:59.999.
    private const long MaxJulianMilliseconds = 464269060799999;
    private const long UnixEpochJulianMilliseconds = 210866760000000;

    private PayloadDateTime(long julianMilliseconds) => JulianMilliseconds = julianMilliseconds;

    /// <summary>Milliseconds since the Julian epoch (SQLite's <c>iJD</c>).</summary>
    public long JulianMilliseconds { get; }

    /// <summary>The value SQLite's <c>julianday()</c> returns for this instant.</summary>
    internal double JulianDay => JulianMilliseconds / 86400000.0;

    /// <summary>The instant as a UTC <see cref="DateTimeOffset"/>.</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddMilliseconds(JulianMilliseconds - UnixEpochJulianMilliseconds);

    /// <summary>The instant of <paramref name="value"/>, truncated to the millisecond.</summary>
    public static PayloadDateTime FromDateTimeOffset(DateTimeOffset value) =>
        new(value.ToUnixTimeMilliseconds() + UnixEpochJulianMilliseconds);

    /// <summary>Parses a datetime string (see the remarks for the accepted forms).</summary>
    /// <exception cref="FormatException">The text is not an accepted datetime.</exception>
    public static PayloadDateTime Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out PayloadDateTime value)
            ? value
            : throw new FormatException($"'{text}' is not a datetime (RFC 3339 such as 2024-05-01T12:30:00Z or +09:00, or YYYY-MM-DD[ HH:MM[:SS[.F]]]).");
    }

    /// <summary>Non-throwing form of <see cref="Parse"/>.</summary>
    public static bool TryParse(ReadOnlySpan<char> s, out PayloadDateTime value)
    {
        value = default;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-') return false;
        if (!Digits(s, 0, 4, out int year) || !Digits(s, 5, 2, out int month) || !Digits(s, 8, 2, out int day)) return false;
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
        int hour = 0, minute = 0, second = 0, zoneMinutes = 0;
        bool hasTime = false;
        double seconds = 0;
        if (s.Length > 10)
        {
            if ((s[10] != 'T' && s[10] != ' ') || s.Length < 16 || s[13] != ':') return false;
            if (!Digits(s, 11, 2, out hour) || !Digits(s, 14, 2, out minute) || hour > 23 || minute > 59) return false;
            hasTime = true;
            if (s.Length > 16)
            {
                if (s.Length < 19 || s[16] != ':' || !Digits(s, 17, 2, out second) || second > 59) return false;
                int pos = 19;
                double fraction = 0;
                if (pos < s.Length && s[pos] == '.')
                {
                    // Mirrors SQLite's parseHhMmSs: accumulate digits as a double, divide by 10^n, clamp at .999.
                    double scale = 1.0;
                    int start = ++pos;
                    while (pos < s.Length && char.IsAsciiDigit(s[pos]))
                    {
                        fraction = fraction * 10.0 + (s[pos] - '0');
                        scale *= 10.0;
                        pos++;
                    }
                    int count = pos - start;
                    if (count < 1 || count > 9) return false;
                    fraction /= scale;
                    if (fraction > 0.999) fraction = 0.999;
                }
                seconds = second + fraction;
                if (pos < s.Length)
                {
                    char z = s[pos];
                    if (z is 'Z' or 'z')
                    {
                        if (pos + 1 != s.Length) return false;
                    }
                    else if (z is '+' or '-')
                    {
                        if (pos + 6 != s.Length || s[pos + 3] != ':'
                            || !Digits(s, pos + 1, 2, out int zh) || !Digits(s, pos + 4, 2, out int zm)
                            || zh > 14 || zm > 59)
                        {
                            return false;
                        }
                        zoneMinutes = (z == '-' ? -1 : 1) * (zh * 60 + zm);
                    }
                    else
                    {
                        return false;
                    }
                }
            }
            else
            {
                seconds = 0;
            }
        }

        // SQLite's computeJD (Meeus), replicated operation for operation so both sides agree to the millisecond.
        int y = year, m = month;
        if (m <= 2)
        {
            y--;
            m += 12;
        }
        int a = (y + 4800) / 100;
        int b = 38 - a + (a / 4);
        int x1 = 36525 * (y + 4716) / 100;
        int x2 = 306001 * (m + 1) / 10000;
        long jd = (long)((x1 + x2 + day + b - 1524.5) * 86400000);
        if (hasTime)
        {
            jd += hour * 3600000L + minute * 60000L + (long)(seconds * 1000 + 0.5);
            jd -= zoneMinutes * 60000L;
        }
        if (jd < 0 || jd > MaxJulianMilliseconds) return false;
        value = new PayloadDateTime(jd);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(PayloadDateTime other) => JulianMilliseconds.CompareTo(other.JulianMilliseconds);

    /// <inheritdoc />
    public bool Equals(PayloadDateTime other) => JulianMilliseconds == other.JulianMilliseconds;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PayloadDateTime other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => JulianMilliseconds.GetHashCode();

    /// <summary>ISO 8601 UTC text with milliseconds.</summary>
    public override string ToString() =>
        ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Equality.</summary>
    public static bool operator ==(PayloadDateTime left, PayloadDateTime right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PayloadDateTime left, PayloadDateTime right) => !left.Equals(right);

    /// <summary>Ordering.</summary>
    public static bool operator <(PayloadDateTime left, PayloadDateTime right) => left.CompareTo(right) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(PayloadDateTime left, PayloadDateTime right) => left.CompareTo(right) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(PayloadDateTime left, PayloadDateTime right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(PayloadDateTime left, PayloadDateTime right) => left.CompareTo(right) >= 0;

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length) return false;
        for (int i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }

    private static int DaysInMonth(int year, int month) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };
}
