using System.Globalization;
using System.Text;

namespace BitSieve.Filters;

/// <summary>
/// The SQL fragments that both <see cref="FilterSql"/> and <see cref="PayloadIndex"/> emit. Expression indexes are
/// only used when the WHERE clause holds the indexed expression verbatim, so both sides build them here.
/// </summary>
internal static class SqlJson
{
    /// <summary>A SQLite JSON path for non-wildcard steps, e.g. <c>."a"."b c"[2]</c>; every key is quoted.</summary>
    public static string RenderSteps(ReadOnlySpan<PathSegment> steps)
    {
        var sb = new StringBuilder();
        foreach (PathSegment step in steps)
        {
            if (step.Kind == PathSegmentKind.Key)
            {
                // PayloadPath admits no '"', '\' or control character in a key, so the quoted label is unambiguous.
                sb.Append(".\"").Append(step.Key).Append('"');
            }
            else
            {
                sb.Append('[').Append(step.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
        }
        return sb.ToString();
    }

    /// <summary>A SQL string literal (single quotes doubled).</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The SQL literal for a root-level path without wildcards, e.g. <c>'$."a"."b"'</c>.</summary>
    public static string RootPath(PayloadPath path)
    {
        if (path.HasWildcard) throw new ArgumentException("The path has a [] projection.", nameof(path));
        return Literal("$" + RenderSteps(path.Span));
    }

    public static string TypeAt(string pathSql) => $"json_type(payload, {pathSql})";

    public static string ValueAt(string pathSql) => $"json_extract(payload, {pathSql})";

    /// <summary>
    /// The julian day of <paramref name="value"/> when it is a datetime string <see cref="PayloadDateTime"/> accepts,
    /// else NULL. The guard keeps SQLite's lenient parser (which also reads 'now', bare times, julian numbers,
    /// 24:00, 2023-02-30, …) to exactly the accepted grammar.
    /// </summary>
    public static string JulianDay(string value)
    {
        const string D2 = "[0-9][0-9]";
        const string Date = "[0-9][0-9][0-9][0-9]-" + D2 + "-" + D2;
        const string HourMinute = Date + "[T ]" + D2 + ":" + D2;
        const string HourMinuteSecond = HourMinute + ":" + D2;
        string v = value;
        string hm = $"substr({v}, 12, 2) <= '23' AND substr({v}, 15, 2) <= '59'";
        string zone = $"(CASE WHEN substr({v}, 20, 1) = '.' THEN ltrim(substr({v}, 21), '0123456789') ELSE substr({v}, 20) END)";
        string fractionDigits = $"(length(substr({v}, 21)) - length(ltrim(substr({v}, 21), '0123456789')))";
        string guard =
            $"(({v} GLOB '{Date}'"
            + $" OR ({v} GLOB '{HourMinute}' AND {hm})"
            + $" OR ({v} GLOB '{HourMinuteSecond}*' AND {hm} AND substr({v}, 18, 2) <= '59'"
            + $" AND (substr({v}, 20, 1) <> '.' OR {fractionDigits} BETWEEN 1 AND 9)"
            + $" AND ({zone} IN ('', 'Z', 'z') OR ({zone} GLOB '[+-]{D2}:{D2}' AND substr({zone}, 2, 2) <= '14' AND substr({zone}, 5, 2) <= '59'))))"
            + $" AND substr({v}, 1, 4) >= '0001' AND date(substr({v}, 1, 10)) IS substr({v}, 1, 10))";
        return $"julianday(CASE WHEN {guard} THEN {v} END)";
    }
}
