using System.Text;

namespace BitSieve;

/// <summary>What one step of a <see cref="PayloadPath"/> does.</summary>
internal enum PathSegmentKind
{
    /// <summary>Member of an object: <c>.name</c> or <c>."quoted name"</c>.</summary>
    Key,

    /// <summary>One element of an array: <c>[3]</c>.</summary>
    Index,

    /// <summary>Every element of an array: <c>[]</c> (Qdrant's array projection).</summary>
    Wildcard,
}

/// <summary>One step of a <see cref="PayloadPath"/>.</summary>
/// <param name="Kind">What the step does.</param>
/// <param name="Key">The member name for <see cref="PathSegmentKind.Key"/>, otherwise null.</param>
/// <param name="Index">The element index for <see cref="PathSegmentKind.Index"/>, otherwise 0.</param>
internal readonly record struct PathSegment(PathSegmentKind Kind, string? Key, int Index);

/// <summary>
/// A payload key in Qdrant's syntax: <c>a.b.c</c>, <c>a[].b</c>, <c>a[2]</c>, <c>"weird key".b</c>.
/// </summary>
/// <remarks>
/// Grammar (Qdrant's JSON path v2): the first key, then any number of <c>.key</c>, <c>[n]</c> and <c>[]</c>.
/// A bare key is one or more letters, digits, <c>_</c> or <c>-</c>; any other key is written in double quotes and
/// may hold any character except <c>"</c>, <c>\</c> and control characters. Semantics: a key step applies
/// only to an object, an index step only to an array; a step that does not apply yields no value (so
/// <c>a.b</c> does not look into an array held by <c>a</c>; <c>a[].b</c> does).
/// </remarks>
public sealed class PayloadPath : IEquatable<PayloadPath>
{
    private readonly PathSegment[] _segments;

    private PayloadPath(PathSegment[] segments, string text)
    {
        _segments = segments;
        Text = text;
    }

    /// <summary>The steps, the first always a <see cref="PathSegmentKind.Key"/>.</summary>
    internal IReadOnlyList<PathSegment> Segments => _segments;

    internal ReadOnlySpan<PathSegment> Span => _segments;

    /// <summary>The canonical text (bare keys where possible, quotes elsewhere).</summary>
    public string Text { get; }

    /// <summary>True when the path holds a <c>[]</c> projection.</summary>
    public bool HasWildcard => Array.Exists(_segments, s => s.Kind == PathSegmentKind.Wildcard);

    /// <summary>Parses a key.</summary>
    /// <exception cref="FormatException">The key is empty or malformed; the message says where.</exception>
    public static PayloadPath Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryParse(key, out PayloadPath? path, out string? error) ? path : throw new FormatException(error);
    }

    /// <summary>Non-throwing form of <see cref="Parse"/>; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PayloadPath? path,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        path = null;
        var segments = new List<PathSegment>();
        int i = 0;
        if (key.Length == 0)
        {
            error = "The key is empty.";
            return false;
        }
        if (!TryReadKey(key, ref i, out string? first, out error)) return false;
        segments.Add(new PathSegment(PathSegmentKind.Key, first, 0));
        while (i < key.Length)
        {
            char c = key[i];
            if (c == '.')
            {
                i++;
                if (!TryReadKey(key, ref i, out string? k, out error)) return false;
                segments.Add(new PathSegment(PathSegmentKind.Key, k, 0));
            }
            else if (c == '[')
            {
                int close = key.IndexOf(']', i + 1);
                if (close < 0)
                {
                    error = $"Unclosed '[' at position {i} of key '{key}'.";
                    return false;
                }
                ReadOnlySpan<char> inner = key.AsSpan(i + 1, close - i - 1);
                if (inner.IsEmpty)
                {
                    segments.Add(new PathSegment(PathSegmentKind.Wildcard, null, 0));
                }
                else if (inner.IndexOfAnyExcept("0123456789") < 0 && inner.Length <= 9)
                {
                    segments.Add(new PathSegment(PathSegmentKind.Index, null,
                        int.Parse(inner, System.Globalization.CultureInfo.InvariantCulture)));
                }
                else
                {
                    error = $"'[{inner}]' at position {i} of key '{key}' is neither '[]' nor an index of at most 9 digits.";
                    return false;
                }
                i = close + 1;
            }
            else
            {
                error = $"Unexpected '{c}' at position {i} of key '{key}'; quote keys holding characters other than letters, digits, '_' and '-'.";
                return false;
            }
        }
        PathSegment[] array = [.. segments];
        path = new PayloadPath(array, Render(array));
        error = null;
        return true;
    }

    /// <summary>This path with a trailing <c>[]</c> added unless it already ends with one.</summary>
    internal PayloadPath WithTrailingWildcard()
    {
        if (_segments[^1].Kind == PathSegmentKind.Wildcard) return this;
        PathSegment[] array = [.. _segments, new PathSegment(PathSegmentKind.Wildcard, null, 0)];
        return new PayloadPath(array, Render(array));
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <inheritdoc />
    public bool Equals(PayloadPath? other) => other is not null && Text == other.Text;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PayloadPath);

    /// <inheritdoc />
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    internal static bool IsBareChar(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '-';

    private static bool TryReadKey(string key, ref int i,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        name = null;
        if (i < key.Length && key[i] == '"')
        {
            int close = key.IndexOf('"', i + 1);
            if (close < 0)
            {
                error = $"Unclosed '\"' at position {i} of key '{key}'.";
                return false;
            }
            string inner = key.Substring(i + 1, close - i - 1);
            if (inner.Length == 0)
            {
                error = $"Empty quoted key at position {i} of key '{key}'.";
                return false;
            }
            for (int j = 0; j < inner.Length; j++)
            {
                char c = inner[j];
                if (c == '\\' || char.IsControl(c)
                    || (char.IsHighSurrogate(c) && (j + 1 >= inner.Length || !char.IsLowSurrogate(inner[++j])))
                    || char.IsLowSurrogate(c))
                {
                    error = $"The quoted key at position {i} of key '{key}' holds a backslash, a control character or a broken surrogate pair.";
                    return false;
                }
            }
            name = inner;
            i = close + 1;
            error = null;
            return true;
        }
        int start = i;
        while (i < key.Length && IsBareChar(key[i])) i++;
        if (i == start)
        {
            error = i < key.Length
                ? $"Expected a key at position {i} of key '{key}', found '{key[i]}'; quote keys holding characters other than letters, digits, '_' and '-'."
                : $"Expected a key at the end of key '{key}'.";
            return false;
        }
        name = key[start..i];
        error = null;
        return true;
    }

    private static string Render(PathSegment[] segments)
    {
        var sb = new StringBuilder();
        for (int s = 0; s < segments.Length; s++)
        {
            PathSegment seg = segments[s];
            switch (seg.Kind)
            {
                case PathSegmentKind.Key:
                    if (s > 0) sb.Append('.');
                    if (seg.Key!.All(IsBareChar)) sb.Append(seg.Key);
                    else sb.Append('"').Append(seg.Key).Append('"');
                    break;
                case PathSegmentKind.Index:
                    sb.Append('[').Append(seg.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
                    break;
                default:
                    sb.Append("[]");
                    break;
            }
        }
        return sb.ToString();
    }
}
