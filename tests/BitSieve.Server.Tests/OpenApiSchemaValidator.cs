using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BitSieve.Server.Tests;

/// <summary>
/// Checks a JSON value against a schema of an OpenAPI 3.x document: the subset this server's document uses —
/// <c>$ref</c> into <c>components/schemas</c>, <c>type</c> (one name or a list, OpenAPI 3.1) and <c>nullable</c>
/// (3.0), <c>properties</c>, <c>required</c>, <c>additionalProperties</c>, <c>items</c>, <c>oneOf</c>/<c>anyOf</c>/
/// <c>allOf</c>, <c>enum</c>, <c>const</c>, <c>pattern</c> and the <c>uuid</c> and <c>uint64</c> formats. A keyword it does not know is
/// an error, so that a schema it cannot check never passes silently. Stricter than JSON Schema in one way: where a
/// schema lists <c>properties</c> and says nothing of <c>additionalProperties</c>, a property it does not list is an
/// error, so an answer cannot carry fields the document does not describe.
/// </summary>
internal sealed class OpenApiSchemaValidator(JsonElement document)
{
    private static readonly HashSet<string> Known =
    [
        "$ref", "type", "nullable", "properties", "required", "additionalProperties", "items", "oneOf", "anyOf", "allOf", "enum", "const",
        "pattern", "format", "description", "example", "examples", "title", "default", "minimum", "maximum", "minItems", "maxItems",
        "minLength", "maxLength", "readOnly", "writeOnly", "deprecated", "externalDocs", "discriminator", "x-schema-id",
    ];

    /// <summary>The errors of <paramref name="value"/> against <paramref name="schema"/>, each with its JSON path; empty when it conforms.</summary>
    public List<string> Validate(JsonElement schema, JsonElement value, string path = "$")
    {
        var errors = new List<string>();
        Check(schema, value, path, errors, depth: 0);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        if (depth > 64) throw new InvalidOperationException($"{path}: schema nesting deeper than 64 ($ref cycle?)");
        if (schema.ValueKind == JsonValueKind.True) return;
        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{path}: the schema allows nothing here");
            return;
        }
        foreach (var keyword in schema.EnumerateObject())
            if (!Known.Contains(keyword.Name)) throw new InvalidOperationException($"{path}: the validator does not know the schema keyword `{keyword.Name}`");
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Check(Resolve(reference.GetString()!), value, path, errors, depth + 1);
            return;
        }
        bool nullable = schema.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True;
        if (value.ValueKind == JsonValueKind.Null && nullable) return;
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => IsOfType(value, t)))
            {
                errors.Add($"{path}: expected {string.Join(" or ", types)}, got {Describe(value)}");
                return;
            }
        }
        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
            errors.Add($"{path}: {value.GetRawText()} is not one of {allowed.GetRawText()}");
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
            errors.Add($"{path}: expected {constant.GetRawText()}, got {value.GetRawText()}");
        if (value.ValueKind == JsonValueKind.String)
        {
            string text = value.GetString()!;
            if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1)))
                errors.Add($"{path}: \"{text}\" does not match /{pattern.GetString()}/");
            if (schema.TryGetProperty("format", out var format) && format.GetString() == "uuid" && !Guid.TryParse(text, out _))
                errors.Add($"{path}: \"{text}\" is not a UUID");
        }
        if (value.ValueKind == JsonValueKind.Number && schema.TryGetProperty("format", out var numberFormat) && numberFormat.GetString() == "uint64" && !value.TryGetUInt64(out _))
            errors.Add($"{path}: {value.GetRawText()} is not an unsigned 64-bit integer");
        if (value.ValueKind == JsonValueKind.Object) CheckObject(schema, value, path, errors, depth);
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var item in value.EnumerateArray()) Check(items, item, $"{path}[{i++}]", errors, depth + 1);
        }
        if (schema.TryGetProperty("allOf", out var allOf))
            foreach (var part in allOf.EnumerateArray()) Check(part, value, path, errors, depth + 1);
        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(part => Validate(part, value, path).Count == 0))
            errors.Add($"{path}: {Truncate(value)} matches none of anyOf {Truncate(anyOf)}");
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            int matches = oneOf.EnumerateArray().Count(part => Validate(part, value, path).Count == 0);
            if (matches != 1) errors.Add($"{path}: {Truncate(value)} matches {matches} of oneOf {Truncate(oneOf)}, not exactly one");
        }
    }

    private void CheckObject(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (schema.TryGetProperty("required", out var required))
            foreach (var name in required.EnumerateArray())
                if (!value.TryGetProperty(name.GetString()!, out _)) errors.Add($"{path}: the required property `{name.GetString()}` is missing");
        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in value.EnumerateObject())
        {
            string at = $"{path}.{property.Name}";
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                Check(propertySchema, property.Value, at, errors, depth + 1);
            else if (additional.ValueKind is JsonValueKind.Object or JsonValueKind.False)
                Check(additional, property.Value, at, errors, depth + 1);
            else if (properties.ValueKind == JsonValueKind.Object && additional.ValueKind == JsonValueKind.Undefined)
                errors.Add($"{path}: the property `{property.Name}` is not in the schema");
        }
    }

    /// <summary>A schema reference of the document (<c>#/components/schemas/Name</c>).</summary>
    public JsonElement Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new InvalidOperationException($"only local references are supported: {reference}");
        var node = document;
        foreach (string part in reference[2..].Split('/'))
            if (!node.TryGetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal), out node))
                throw new InvalidOperationException($"the reference {reference} points nowhere");
        return node;
    }

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) && d == decimal.Truncate(d),
        _ => throw new InvalidOperationException($"unknown schema type `{type}`"),
    };

    private static string Describe(JsonElement value) => $"{value.ValueKind.ToString().ToLowerInvariant()} {Truncate(value)}";

    private static string Truncate(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 200 ? text : text[..200] + "…";
    }
}
