using System.Diagnostics.CodeAnalysis;
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
    /// Okapi BM25 over the lexical index: the best <paramref name="limit"/> points for a query (English words stemmed,
    /// CJK text as character bigrams; see <see cref="FtsLexer"/>), among those a filter selects, scored
    /// <c>Σ_t idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · |d| / avgdl))</c> over the query's distinct terms, k1 = 1.2,
    /// b = 0.75, with the non-negative <c>idf(t) = ln(1 + (N − n + 0.5) / (n + 0.5))</c> (N rows, n holding t). Higher
    /// is better; ties go to the smaller key.
    /// </summary>
    /// <remarks>
    /// FTS5's own <c>bm25()</c> uses <c>ln((N − n + 0.5) / (n + 0.5))</c>, floored at 10⁻⁶: a term that more than half
    /// of the rows hold then counts for nearly nothing, which in small or one-topic corpora drops words that still
    /// separate the answers (a textbook BM25 scored higher on every English set, docs/benchmarks.md). So each term is
    /// matched on its own: FTS5's <c>bm25()</c> of a one-term query is that term's part, its idf times the
    /// term-frequency factor, and dividing by FTS5's idf and multiplying by the non-negative one gives the textbook
    /// part. Rows are read once per term, as FTS5's own OR query reads each term's rows.
    /// </remarks>
    public List<(ulong Key, float Score)> Search(string query, int limit, FilterSqlClause? filter)
    {
        if (TextField is null) ThrowNoTextIndex();
        IReadOnlyList<FtsTerm> terms = FtsLexer.QueryTerms(query);
        var scores = new Dictionary<long, double>();
        if (terms.Count == 0) return [];
        _database.Read(connection =>
        {
            var (rows, holding) = DocumentFrequencies(connection, terms);
            using var command = Command(connection,
                "SELECT lexical.rowid, bm25(lexical) FROM lexical" + (filter is null ? "" : " JOIN points ON points.key = lexical.rowid") +
                " WHERE lexical MATCH $match" + (filter is null ? "" : $" AND ({filter.WhereClause})"));
            var match = command.Parameters.Add("$match", SqliteType.Text);
            filter?.AddParametersTo(command);
            for (int t = 0; t < terms.Count; t++)
            {
                if (holding[t] == 0) continue;
                double idf = Idf(rows, holding[t]);
                double ftsIdf = Math.Max(Math.Log((rows - holding[t] + 0.5) / (holding[t] + 0.5)), 1e-6);
                match.Value = terms[t].ToFts5();
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    long key = reader.GetInt64(0);
                    scores[key] = scores.GetValueOrDefault(key) + -reader.GetDouble(1) / ftsIdf * idf;
                }
            }
        });
        return [.. scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key).Take(limit).Select(s => ((ulong)s.Key, (float)s.Value))];
    }

    /// <summary>BM25's term-frequency saturation, k1 (FTS5's default too).</summary>
    public const double K1 = 1.2;

    /// <summary>
    /// The largest score a row could reach for a query: Σ over the query's terms that some row holds of
    /// idf(t) · (k1 + 1), the limit of a term's part as its frequency grows (idf as in <see cref="Search"/>). A hit's
    /// score divided by it is the share of the query that the hit matches, on a scale that does not depend on the
    /// query's length (hybrid search's confidence in BM25). 0 when no row holds any term. Costs a count per term.
    /// </summary>
    public double AttainableScore(string query)
    {
        if (TextField is null) ThrowNoTextIndex();
        IReadOnlyList<FtsTerm> terms = FtsLexer.QueryTerms(query);
        double total = 0;
        if (terms.Count == 0) return total;
        _database.Read(connection =>
        {
            var (rows, holding) = DocumentFrequencies(connection, terms);
            foreach (long n in holding)
                if (n > 0) total += Idf(rows, n) * (K1 + 1);
        });
        return total;
    }

    /// <summary>The textbook non-negative idf: ln(1 + (N − n + 0.5) / (n + 0.5)).</summary>
    private static double Idf(long rows, long holding) => Math.Log(1 + (rows - holding + 0.5) / (holding + 0.5));

    /// <summary>The rows of the lexical index, and how many of them hold each term (a prefix term: any token it starts).</summary>
    private static (long Rows, long[] Holding) DocumentFrequencies(SqliteConnection connection, IReadOnlyList<FtsTerm> terms)
    {
        using var size = Command(connection, "SELECT count(*) FROM lexical_docsize");
        long rows = (long)size.ExecuteScalar()!;
        using var count = Command(connection, "SELECT count(*) FROM lexical WHERE lexical MATCH $match");
        var match = count.Parameters.Add("$match", SqliteType.Text);
        var holding = new long[terms.Count];
        for (int t = 0; t < terms.Count; t++)
        {
            match.Value = terms[t].ToFts5();
            holding[t] = (long)count.ExecuteScalar()!;
        }
        return (rows, holding);
    }

    [DoesNotReturn]
    private static void ThrowNoTextIndex() =>
        throw new InvalidOperationException("The collection has no text index: create a payload index of schema \"text\" on the field that holds the text.");

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
