using BitSieve.Filters;
using static BitSieve.Storage.PointStore;

namespace BitSieve.Storage;

/// <summary>
/// The payload indexes of the points database: which fields are indexed with which schema (table
/// <c>payload_indexes</c>), and the SQLite expression indexes that serve filters on them (<see cref="PayloadIndex"/>).
/// A field of schema <c>text</c> is the <see cref="LexicalIndex"/>'s instead.
/// </summary>
internal sealed class PayloadIndexes(PointStore database)
{
    private readonly PointStore _database = database;

    /// <summary>The payload indexes that serve filters: key → schema (the lexical <c>text</c> index left out).</summary>
    public Dictionary<string, PayloadSchemaType> FilterIndexes()
    {
        var indexes = new Dictionary<string, PayloadSchemaType>(StringComparer.Ordinal);
        foreach (var (field, schema) in All())
            if (PayloadIndex.TryParseSchemaType(schema, out var type)) indexes[field] = type;
        return indexes;
    }

    /// <summary>Creates (or, when the schema changes, replaces) the payload index of a key.</summary>
    public void Create(PayloadPath key, PayloadSchemaType schema, string schemaName)
    {
        var writer = _database.Writer();
        using var transaction = writer.BeginTransaction();
        using (var existing = Command(writer, "SELECT schema FROM payload_indexes WHERE field = $f", transaction))
        {
            existing.Parameters.AddWithValue("$f", key.Text);
            if (existing.ExecuteScalar() is string old && PayloadIndex.TryParseSchemaType(old, out var oldSchema))
                foreach (string sql in PayloadIndex.DropStatements(key, oldSchema, includeTypeIndex: true)) Execute(writer, sql, transaction);
        }
        foreach (string sql in PayloadIndex.CreateStatements(key, schema)) Execute(writer, sql, transaction);
        using (var record = Command(writer, "INSERT OR REPLACE INTO payload_indexes(field, schema) VALUES ($f, $s)", transaction))
        {
            record.Parameters.AddWithValue("$f", key.Text);
            record.Parameters.AddWithValue("$s", schemaName);
            record.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Drops the payload index of a key; false when there is none.</summary>
    public bool Delete(PayloadPath key)
    {
        var writer = _database.Writer();
        using var transaction = writer.BeginTransaction();
        using var existing = Command(writer, "SELECT schema FROM payload_indexes WHERE field = $f", transaction);
        existing.Parameters.AddWithValue("$f", key.Text);
        if (existing.ExecuteScalar() is not string old) return false;
        if (old == "text") _database.Lexical.Drop(writer, transaction);
        else if (PayloadIndex.TryParseSchemaType(old, out var schema))
            foreach (string sql in PayloadIndex.DropStatements(key, schema, includeTypeIndex: true)) Execute(writer, sql, transaction);
        using var delete = Command(writer, "DELETE FROM payload_indexes WHERE field = $f", transaction);
        delete.Parameters.AddWithValue("$f", key.Text);
        delete.ExecuteNonQuery();
        transaction.Commit();
        return true;
    }

    /// <summary>The payload indexes: field → schema.</summary>
    public Dictionary<string, string> All()
    {
        var indexes = new Dictionary<string, string>(StringComparer.Ordinal);
        _database.Read(connection =>
        {
            using var command = Command(connection, "SELECT field, schema FROM payload_indexes ORDER BY field");
            using var reader = command.ExecuteReader();
            while (reader.Read()) indexes[reader.GetString(0)] = reader.GetString(1);
        });
        return indexes;
    }
}
