using System.Globalization;
using System.Text.Json;

namespace BitSieve.Filters;

/// <summary>
/// A JSON number as SQLite's JSON functions read it: an integer literal that fits in 64 bits is an integer, any
/// other number (fraction, exponent, or too large) is a double. Comparisons between the two are exact, as SQLite's
/// are, so 1 equals 1.0 and 2^53+1 does not equal 2^53.
/// </summary>
internal readonly struct PayloadNumber
{
    private readonly long _integer;
    private readonly double _real;

    private PayloadNumber(long integer, double real, bool isInteger)
    {
        _integer = integer;
        _real = real;
        IsInteger = isInteger;
    }

    public bool IsInteger { get; }

    public static PayloadNumber From(JsonElement number)
    {
        string raw = number.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0
            && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            return new PayloadNumber(n, 0, isInteger: true);
        }
        return new PayloadNumber(0, double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture), isInteger: false);
    }

    public bool EqualsInteger(long value) => IsInteger ? _integer == value : CompareIntegerToReal(value, _real) == 0;

    /// <summary>Sign of (this − bound).</summary>
    public int CompareTo(double bound) => IsInteger ? CompareIntegerToReal(_integer, bound) : _real.CompareTo(bound);

    /// <summary>Exact comparison of a 64-bit integer with a double (no rounding of the integer), NaN excluded.</summary>
    internal static int CompareIntegerToReal(long i, double r)
    {
        const double TwoTo63 = 9223372036854775808.0;
        if (r < -TwoTo63) return 1;
        if (r >= TwoTo63) return -1;
        // r is now within the long range, so truncation is exact for its integer part.
        long t = (long)r;
        if (i != t) return i < t ? -1 : 1;
        // Same integer part: the fraction of r decides (i converts exactly when |i| ≤ 2^53; beyond, r has no fraction).
        double fraction = r - t;
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
    }
}
