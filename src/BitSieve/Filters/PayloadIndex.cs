using System.IO.Hashing;
using System.Text;

namespace BitSieve.Filters;

/// <summary>The payload index types, named as Qdrant's <c>field_schema</c>.</summary>
internal enum PayloadSchemaType
{
    /// <summary><c>keyword</c>: string equality, <c>match.value</c>/<c>any</c>/<c>except</c>.</summary>
    Keyword,

    /// <summary><c>integer</c>: integer equality and numeric ranges.</summary>
    Integer,

    /// <summary><c>float</c>: numeric ranges.</summary>
    Float,

    /// <summary><c>bool</c>: boolean equality.</summary>
    Bool,

    /// <summary><c>datetime</c>: datetime ranges.</summary>
    Datetime,
}

/// <summary>
/// SQLite expression indexes that the WHERE clauses of <see cref="FilterSql"/> can use.
/// </summary>
/// <remarks>
/// <para>For a key <c>k</c> the helper creates an index on <c>json_type(payload, '$."k"')</c> (used by boolean matches,
/// <c>is_null</c>, <c>is_empty</c>, and by the "value is an array" branch of every field condition) and, by schema,
/// one on <c>json_extract(payload, '$."k"')</c> (keyword, integer, float: equality, <c>IN</c>, ranges) or on the
/// guarded <c>julianday(…)</c> expression (datetime ranges). A field condition translates to
/// "scalar test OR (value is an array AND some element passes)", so SQLite answers it with a MULTI-INDEX OR over
/// both indexes.</para>
/// <para>An index cannot serve: keys with <c>[]</c> (rejected here), conditions inside <c>nested</c>, elements of
/// arrays (the array branch only finds the array-valued rows by type and then scans their elements),
/// <c>match.text</c> and <c>match.except</c> (not sargable), and a condition under <c>must_not</c> or inside
/// <c>should</c>/<c>min_should</c> unless every alternative is indexable too.</para>
/// </remarks>
internal static class PayloadIndex
{
    /// <summary>Reads Qdrant's schema name (<c>keyword</c>, <c>integer</c>, <c>float</c>, <c>bool</c>, <c>datetime</c>).</summary>
    public static bool TryParseSchemaType(string name, out PayloadSchemaType type)
    {
        switch (name)
        {
            case "keyword": type = PayloadSchemaType.Keyword; return true;
            case "integer": type = PayloadSchemaType.Integer; return true;
            case "float": type = PayloadSchemaType.Float; return true;
            case "bool": type = PayloadSchemaType.Bool; return true;
            case "datetime": type = PayloadSchemaType.Datetime; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The <c>CREATE INDEX IF NOT EXISTS</c> statements for <paramref name="key"/> (parsed as a filter key).</summary>
    public static IReadOnlyList<string> CreateStatements(string key, PayloadSchemaType schema) =>
        CreateStatements(PayloadPath.Parse(key), schema);

    /// <summary>The <c>CREATE INDEX IF NOT EXISTS</c> statements for <paramref name="key"/> on table <c>points</c>.</summary>
    /// <exception cref="NotSupportedException">The key holds a <c>[]</c> projection.</exception>
    public static IReadOnlyList<string> CreateStatements(PayloadPath key, PayloadSchemaType schema)
    {
        ArgumentNullException.ThrowIfNull(key);
        return [.. Indexes(key, schema).Select(i => $"CREATE INDEX IF NOT EXISTS \"{i.Name}\" ON points({i.Expression})")];
    }

    /// <summary>The <c>DROP INDEX IF EXISTS</c> statements matching <see cref="CreateStatements(PayloadPath, PayloadSchemaType)"/>.</summary>
    /// <remarks>The <c>json_type</c> index is shared by every schema of a key; drop it only when the key keeps no index.</remarks>
    public static IReadOnlyList<string> DropStatements(PayloadPath key, PayloadSchemaType schema, bool includeTypeIndex)
    {
        ArgumentNullException.ThrowIfNull(key);
        return [.. Indexes(key, schema)
            .Where(i => includeTypeIndex || !i.Name.StartsWith("bs_payload_type_", StringComparison.Ordinal))
            .Select(i => $"DROP INDEX IF EXISTS \"{i.Name}\"")];
    }

    private static List<(string Name, string Expression)> Indexes(PayloadPath key, PayloadSchemaType schema)
    {
        if (key.HasWildcard)
            throw new NotSupportedException(
                $"The key '{key}' holds a [] projection; such keys are evaluated with json_each and no expression index can serve them.");
        string path = SqlJson.RootPath(key);
        string hash = Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(key.Text)));
        var list = new List<(string, string)> { ($"bs_payload_type_{hash}", SqlJson.TypeAt(path)) };
        switch (schema)
        {
            case PayloadSchemaType.Keyword or PayloadSchemaType.Integer or PayloadSchemaType.Float:
                list.Add(($"bs_payload_value_{hash}", SqlJson.ValueAt(path)));
                break;
            case PayloadSchemaType.Datetime:
                list.Add(($"bs_payload_datetime_{hash}", SqlJson.JulianDay(SqlJson.ValueAt(path))));
                break;
            case PayloadSchemaType.Bool:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(schema));
        }
        return list;
    }
}
