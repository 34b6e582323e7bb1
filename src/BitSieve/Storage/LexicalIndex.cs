using System.Text;
using System.Text.Json;
using BitSieve.Filters;
using BitSieve.Text;
using Microsoft.Data.Sqlite;
using static BitSieve.Storage.PointStore;

namespace BitSieve.Storage;

/// <summary>
/// The lexical index of the points database (FTS5 table <c>lexical</c>, rowid = point key): the text of one payload
/// field per point, for BM25 search. Kept in step with the rows in each write's transaction by the
/// <see cref="PointStore"/> that owns the connections.
/// </summary>
internal sealed class LexicalIndex(PointStore database)
{
    private readonly PointStore _database = database;

    /// <summary>
    /// The payload key whose text the lexical index (FTS5 table <c>lexical</c>, rowid = point key) holds, or null when the
    /// collection has no text index. Set by a payload index of schema <c>text</c>.
    /// </summary>
    public PayloadPath? TextField { get; private set; }

    /// <summary>
    /// Makes <paramref name="key"/> the text field of the lexical index: creates the FTS5 table and fills it from every
    /// point's payload (a collection has one text field; naming another one replaces it).
    /// </summary>
    public void Create(PayloadPath key)
    {
        var writer = _database.Writer();
        using var transaction = writer.BeginTransaction();
        Execute(writer, "DROP TABLE IF EXISTS lexical; DELETE FROM payload_indexes WHERE schema = 'text';", transaction);
        Execute(writer, $"CREATE VIRTUAL TABLE lexical USING fts5(body, tokenize = '{FtsLexer.RecommendedTokenizer}');", transaction);
        using (var record = Command(writer, "INSERT OR REPLACE INTO payload_indexes(field, schema) VALUES ($f, 'text')", transaction))
        {
            record.Parameters.AddWithValue("$f", key.Text);
            record.ExecuteNonQuery();
        }
        TextField = key;
        var rows = new List<(ulong, string?)>();
        using (var all = Command(writer, "SELECT key, payload FROM points", transaction))
        using (var reader = all.ExecuteReader())
            while (reader.Read()) rows.Add(((ulong)reader.GetInt64(0), reader.GetString(1)));
        Update(writer, transaction, rows);
        transaction.Commit();
    }

    /// <summary>
    /// BM25 over the lexical index: the best <paramref name="limit"/> points for a query (English words stemmed, CJK
    /// text as character bigrams; see <see cref="FtsLexer"/>), among those a filter selects. Scores are −bm25 (higher
    /// is better).
    /// </summary>
    public List<(ulong Key, float Score)> Search(string query, int limit, FilterSqlClause? filter)
    {
        if (TextField is null) throw new InvalidOperationException("The collection has no text index: create a payload index of schema \"text\" on the field that holds the text.");
        string match = FtsLexer.ToMatchQuery(query);
        var hits = new List<(ulong, float)>();
        if (match.Length == 0) return hits;
        _database.Read(connection =>
        {
            using var command = Command(connection,
                "SELECT lexical.rowid, bm25(lexical) FROM lexical" + (filter is null ? "" : " JOIN points ON points.key = lexical.rowid") +
                " WHERE lexical MATCH $match" + (filter is null ? "" : $" AND ({filter.WhereClause})") + " ORDER BY bm25(lexical) LIMIT $limit");
            command.Parameters.AddWithValue("$match", match);
            command.Parameters.AddWithValue("$limit", limit);
            filter?.AddParametersTo(command);
            using var reader = command.ExecuteReader();
            while (reader.Read()) hits.Add(((ulong)reader.GetInt64(0), (float)-reader.GetDouble(1)));
        });
        return hits;
    }

    /// <summary>FTS5's bm25() term-frequency saturation (its default, which <see cref="Search"/> uses).</summary>
    public const double K1 = 1.2;

    /// <summary>
    /// The largest score (−bm25) a row could reach for a query: Σ over the query's terms that some row holds of
    /// idf(t) · (k1 + 1), the limit of a term's part as its frequency grows, with FTS5's idf(t) = ln((N − n + 0.5) /
    /// (n + 0.5)) (at least 10⁻⁶), N the rows and n those holding t. A hit's score divided by it is the share of the
    /// query that the hit matches, on a scale that does not depend on the query's length (hybrid search's confidence in
    /// BM25). 0 when no row holds any term. Costs a count per term.
    /// </summary>
    public double AttainableScore(string query)
    {
        if (TextField is null) throw new InvalidOperationException("The collection has no text index: create a payload index of schema \"text\" on the field that holds the text.");
        IReadOnlyList<FtsTerm> terms = FtsLexer.QueryTerms(query);
        double total = 0;
        if (terms.Count == 0) return total;
        _database.Read(connection =>
        {
            using var size = Command(connection, "SELECT count(*) FROM lexical_docsize");
            double rows = Convert.ToDouble(size.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            using var count = Command(connection, "SELECT count(*) FROM lexical WHERE lexical MATCH $match");
            var match = count.Parameters.Add("$match", SqliteType.Text);
            foreach (FtsTerm term in terms)
            {
                match.Value = term.ToFts5();
                double holding = Convert.ToDouble(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                if (holding == 0) continue;
                total += Math.Max(Math.Log((rows - holding + 0.5) / (holding + 0.5)), 1e-6) * (K1 + 1);
            }
        });
        return total;
    }

    /// <summary>Keeps the lexical index in step with payloads (in the write's transaction); a null payload removes the row.</summary>
    internal void Update(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<(ulong Key, string? Payload)> rows)
    {
        if (TextField is null) return;
        using var delete = Command(connection, "DELETE FROM lexical WHERE rowid = $k", transaction);
        using var insert = Command(connection, "INSERT INTO lexical(rowid, body) VALUES ($k, $b)", transaction);
        var dk = delete.Parameters.Add("$k", SqliteType.Integer);
        var ik = insert.Parameters.Add("$k", SqliteType.Integer);
        var ib = insert.Parameters.Add("$b", SqliteType.Text);
        foreach (var (key, payload) in rows)
        {
            dk.Value = (long)key;
            delete.ExecuteNonQuery();
            string? text = payload is null ? null : TextOf(payload, TextField);
            if (string.IsNullOrWhiteSpace(text)) continue;
            ik.Value = (long)key;
            ib.Value = FtsLexer.ToIndexText(text);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>The text at a payload key: a string, or the strings of an array joined by line breaks.</summary>
    internal static string? TextOf(string payload, PayloadPath field)
    {
        using var document = JsonDocument.Parse(payload);
        var element = document.RootElement;
        foreach (var segment in field.Segments)
        {
            if (segment.Kind == PathSegmentKind.Key && element.ValueKind == JsonValueKind.Object && element.TryGetProperty(segment.Key!, out var child)) element = child;
            else if (segment.Kind == PathSegmentKind.Index && element.ValueKind == JsonValueKind.Array && segment.Index < element.GetArrayLength()) element = element[segment.Index];
            else return null;
        }
        if (element.ValueKind == JsonValueKind.String) return element.GetString();
        if (element.ValueKind != JsonValueKind.Array) return null;
        var text = new StringBuilder();
        foreach (var item in element.EnumerateArray())
            if (item.ValueKind == JsonValueKind.String) text.Append(item.GetString()).Append('\n');
        return text.ToString();
    }

    /// <summary>Reads which field the lexical index holds (when the store opens).</summary>
    internal void Load(SqliteConnection connection)
    {
        using var command = Command(connection, "SELECT field FROM payload_indexes WHERE schema = 'text'");
        TextField = command.ExecuteScalar() is string field ? PayloadPath.Parse(field) : null;
    }

    /// <summary>Drops the lexical index (in the caller's transaction, which also removes its payload index record).</summary>
    internal void Drop(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, "DROP TABLE IF EXISTS lexical;", transaction);
        TextField = null;
    }
}
