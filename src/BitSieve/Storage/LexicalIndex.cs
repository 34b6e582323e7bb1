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
    /// Whether the stored index has the current form (<see cref="FtsLexer.RecommendedTokenizer"/>, S-stemmed words, the
    /// per-row term counts of <c>lexical_lengths</c>, CJK runs closed by <see cref="FtsLexer.RunEnd"/>: the meta row
    /// <c>lexical_form</c> = <see cref="Form"/>); false for an index built by an earlier version (Porter stemming
    /// inside FTS5, no term counts; or closing entries without the mark), which <see cref="PointStore"/> rebuilds when it
    /// opens for writing.
    /// </summary>
    public bool Current { get; private set; }

    /// <summary>
    /// The form of the index this version writes, kept in the meta row <c>lexical_form</c>: 2 since a CJK run's closing
    /// entry carries <see cref="FtsLexer.RunEnd"/> (an index without the row is of an earlier form).
    /// </summary>
    public const long Form = 2;

    /// <summary>
    /// Makes <paramref name="key"/> the text field of the lexical index: creates the FTS5 table, its term-count table and
    /// its instance view, and fills them from every point's payload (a collection has one text field; naming another
    /// one replaces it).
    /// </summary>
    public void Create(PayloadPath key)
    {
        var writer = _database.Writer();
        using var transaction = writer.BeginTransaction();
        Execute(writer, "DROP TABLE IF EXISTS lexical; DROP TABLE IF EXISTS lexical_lengths; DROP TABLE IF EXISTS lexical_instances; DELETE FROM payload_indexes WHERE schema = 'text';", transaction);
        Execute(writer, $"CREATE VIRTUAL TABLE lexical USING fts5(body, tokenize = '{FtsLexer.RecommendedTokenizer}');" +
            " CREATE TABLE lexical_lengths(key INTEGER PRIMARY KEY, terms INTEGER NOT NULL);" +
            " CREATE VIRTUAL TABLE lexical_instances USING fts5vocab(lexical, instance);", transaction);
        using (var record = Command(writer, "INSERT OR REPLACE INTO payload_indexes(field, schema) VALUES ($f, 'text')", transaction))
        {
            record.Parameters.AddWithValue("$f", key.Text);
            record.ExecuteNonQuery();
        }
        using (var form = Command(writer, "INSERT OR REPLACE INTO meta(name, value) VALUES ('lexical_form', $v)", transaction))
        {
            form.Parameters.AddWithValue("$v", Form);
            form.ExecuteNonQuery();
        }
        TextField = key;
        Current = true;
        var rows = new List<(ulong, string?)>();
        using (var all = Command(writer, "SELECT key, payload FROM points", transaction))
        using (var reader = all.ExecuteReader())
            while (reader.Read()) rows.Add(((ulong)reader.GetInt64(0), reader.GetString(1)));
        Update(writer, transaction, rows);
        transaction.Commit();
    }

    /// <summary>
    /// Okapi BM25 over the lexical index, computed here from the index's own terms (see <see cref="FtsLexer"/>: English
    /// words without accents and plural endings, CJK text as character bigrams): the best <paramref name="limit"/>
    /// points for a query among those a filter selects (and any tied with the last of them), scored
    /// <c>Σ_t idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · |d| / avgdl))</c> over the query's distinct terms, k1 = 1.2,
    /// b = 0.75, <c>idf(t) = ln(1 + (N − n + 0.5) / (n + 0.5))</c>; N is the rows of the index, n the rows holding t,
    /// |d| the row's terms and avgdl their mean over the rows (all rows, whatever the filter). Higher is better, best
    /// first; the caller orders ties (by point id, which unlike the key does not depend on the order of writes). Also returns the query's attainable score (<see cref="LexicalHits.Attainable"/>).
    /// </summary>
    /// <remarks>
    /// FTS5's own <c>bm25()</c> is not used: its idf, <c>ln((N − n + 0.5) / (n + 0.5))</c> floored at 10⁻⁶, makes a term
    /// that more than half of the rows hold count for nothing, and its document length counts every index token,
    /// including the unigram that closes each CJK run for prefix queries. Here the term frequencies are read from the
    /// index's instances (the <c>fts5vocab</c> table <c>lexical_instances</c>, by term, or by the range of a one-character
    /// prefix), the lengths from <c>lexical_lengths</c>. A query term costs a read of its instances, as FTS5's own query
    /// does; the lengths' count and sum cost a scan of <c>lexical_lengths</c> per query.
    /// </remarks>
    /// <param name="query">The query text.</param>
    /// <param name="limit">How many points (and the ties of the last).</param>
    /// <param name="filter">Only rows this filter selects; null for all.</param>
    /// <param name="corpus">
    /// N, avgdl and each term's n of a larger corpus this index is a part of (a shard's: the sums of every shard's
    /// <see cref="Statistics"/>), used instead of the index's own, so that its scores and attainable score equal those of
    /// one index of the whole corpus; null for the index's own.
    /// </param>
    public LexicalHits Search(string query, int limit, FilterSqlClause? filter, LexicalStatistics? corpus = null)
    {
        if (TextField is null) ThrowNoTextIndex();
        if (!Current) ThrowOutdated();
        IReadOnlyList<FtsTerm> terms = FtsLexer.QueryTerms(query);
        var scores = new Dictionary<long, double>();
        double attainable = corpus?.Attainable ?? 0;
        if (terms.Count == 0) return new LexicalHits([], 0);
        if (corpus is not null && corpus.DocumentFrequencies.Length != terms.Count)
            throw new ArgumentException($"The corpus statistics hold {corpus.DocumentFrequencies.Length} terms; the query has {terms.Count}.", nameof(corpus));
        _database.Read(connection =>
        {
            var (rows, totalLength) = corpus is null ? Size(connection) : (corpus.Rows, corpus.Terms);
            double averageLength = LexicalStatistics.AverageOf(rows, totalLength);
            if (rows == 0) return;
            // Every row holding the term (its n), with its term frequency, its length and whether the filter selects it.
            using var command = Command(connection,
                "SELECT i.doc, count(*), l.terms, " + (filter is null ? "1" : $"coalesce(({filter.WhereClause}), 0)") +
                " FROM lexical_instances AS i CROSS JOIN lexical_lengths AS l ON l.key = i.doc" +
                (filter is null ? "" : " LEFT JOIN points ON points.key = i.doc") +
                " WHERE i.term >= $from AND i.term <= $to GROUP BY i.doc");
            var from = command.Parameters.Add("$from", SqliteType.Text);
            var to = command.Parameters.Add("$to", SqliteType.Text);
            filter?.AddParametersTo(command);
            var postings = new List<(long Key, int Frequency, long Length, bool Selected)>();
            for (int t = 0; t < terms.Count; t++)
            {
                SetRange(from, to, terms[t]);
                postings.Clear();
                using (var reader = command.ExecuteReader())
                    while (reader.Read()) postings.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3) != 0));
                if (postings.Count == 0) continue;
                double idf = Idf(rows, corpus?.DocumentFrequencies[t] ?? postings.Count);
                if (corpus is null) attainable += idf * (K1 + 1);
                foreach (var (key, frequency, length, selected) in postings)
                {
                    if (!selected) continue;
                    double norm = K1 * (1 - B + B * length / averageLength);
                    scores[key] = scores.GetValueOrDefault(key) + idf * frequency * (K1 + 1) / (frequency + norm);
                }
            }
        });
        // The best limit, and every hit tied with the last of them: the caller orders ties by point id.
        var ranked = scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key).ToList();
        int count = Math.Min(limit, ranked.Count);
        while (count > 0 && count < ranked.Count && ranked[count].Value == ranked[count - 1].Value) count++;
        return new LexicalHits([.. ranked.Take(count).Select(s => ((ulong)s.Key, s.Value))], attainable);
    }

    /// <summary>
    /// This index's part of the BM25 statistics of <paramref name="query"/>: its rows (N), their terms (avgdl's
    /// numerator), and per query term (<see cref="FtsLexer.QueryTerms"/>, in order) the rows holding it (n). Those of
    /// disjoint indexes add up (<see cref="LexicalStatistics.Add"/>) to those of one index of all their rows.
    /// </summary>
    public LexicalStatistics Statistics(string query)
    {
        if (TextField is null) ThrowNoTextIndex();
        if (!Current) ThrowOutdated();
        IReadOnlyList<FtsTerm> terms = FtsLexer.QueryTerms(query);
        LexicalStatistics? statistics = null;
        _database.Read(connection =>
        {
            var (rows, totalLength) = Size(connection);
            var frequencies = new long[terms.Count];
            // The rows Search counts as a term's postings: those of its instances that have a length.
            using var command = Command(connection,
                "SELECT count(*) FROM (SELECT i.doc FROM lexical_instances AS i CROSS JOIN lexical_lengths AS l ON l.key = i.doc" +
                " WHERE i.term >= $from AND i.term <= $to GROUP BY i.doc)");
            var from = command.Parameters.Add("$from", SqliteType.Text);
            var to = command.Parameters.Add("$to", SqliteType.Text);
            for (int t = 0; t < terms.Count; t++)
            {
                SetRange(from, to, terms[t]);
                frequencies[t] = (long)command.ExecuteScalar()!;
            }
            statistics = new LexicalStatistics(rows, totalLength, frequencies);
        });
        return statistics!;
    }

    /// <summary>The rows of the index and the sum of their terms.</summary>
    private static (long Rows, long Terms) Size(SqliteConnection connection)
    {
        using var size = Command(connection, "SELECT count(*), coalesce(sum(terms), 0) FROM lexical_lengths");
        using var reader = size.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The range of index terms a query term matches: itself, or every term it is a prefix of.</summary>
    private static void SetRange(SqliteParameter from, SqliteParameter to, FtsTerm term)
    {
        from.Value = term.Text;
        to.Value = term.Prefix ? term.Text + char.ConvertFromUtf32(0x10FFFF) : term.Text;
    }

    /// <summary>BM25's term-frequency saturation, k1.</summary>
    public const double K1 = 1.2;

    /// <summary>BM25's length normalization, b.</summary>
    public const double B = 0.75;

    /// <summary>The textbook non-negative idf: ln(1 + (N − n + 0.5) / (n + 0.5)).</summary>
    internal static double Idf(long rows, long holding) => Math.Log(1 + (rows - holding + 0.5) / (holding + 0.5));

    [DoesNotReturn]
    private static void ThrowNoTextIndex() =>
        throw new InvalidOperationException("The collection has no text index: create a payload index of schema \"text\" on the field that holds the text.");

    [DoesNotReturn]
    private static void ThrowOutdated() =>
        throw new InvalidOperationException("The collection's text index was built by an earlier version of BitSieve (an earlier form of its terms): open the database once for writing, which rebuilds it from the payloads.");

    /// <summary>Keeps the lexical index in step with payloads (in the write's transaction); a null payload removes the row.</summary>
    internal void Update(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<(ulong Key, string? Payload)> rows)
    {
        if (TextField is null) return;
        using var delete = Command(connection, "DELETE FROM lexical WHERE rowid = $k; DELETE FROM lexical_lengths WHERE key = $k", transaction);
        using var insert = Command(connection, "INSERT INTO lexical(rowid, body) VALUES ($k, $b); INSERT INTO lexical_lengths(key, terms) VALUES ($k, $n)", transaction);
        var dk = delete.Parameters.Add("$k", SqliteType.Integer);
        var ik = insert.Parameters.Add("$k", SqliteType.Integer);
        var ib = insert.Parameters.Add("$b", SqliteType.Text);
        var iTerms = insert.Parameters.Add("$n", SqliteType.Integer);
        foreach (var (key, payload) in rows)
        {
            dk.Value = (long)key;
            delete.ExecuteNonQuery();
            string? text = payload is null ? null : TextOf(payload, TextField);
            if (string.IsNullOrWhiteSpace(text)) continue;
            ik.Value = (long)key;
            ib.Value = FtsLexer.ToIndexText(text, out int terms);
            iTerms.Value = terms;
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

    /// <summary>Reads which field the lexical index holds, and whether the index has the current form (when the store opens).</summary>
    internal void Load(SqliteConnection connection)
    {
        using var command = Command(connection, "SELECT field FROM payload_indexes WHERE schema = 'text'");
        TextField = command.ExecuteScalar() is string field ? PayloadPath.Parse(field) : null;
        using var form = Command(connection,
            "SELECT count(*) FROM sqlite_schema WHERE (name = 'lexical' AND sql LIKE $tokenizer) OR name IN ('lexical_lengths', 'lexical_instances')");
        form.Parameters.AddWithValue("$tokenizer", $"%'{FtsLexer.RecommendedTokenizer}'%");
        using var version = Command(connection, "SELECT value FROM meta WHERE name = 'lexical_form'");
        Current = TextField is not null && (long)form.ExecuteScalar()! == 3 && version.ExecuteScalar() is long stored && stored == Form;
    }

    /// <summary>Drops the lexical index (in the caller's transaction, which also removes its payload index record).</summary>
    internal void Drop(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, "DROP TABLE IF EXISTS lexical; DROP TABLE IF EXISTS lexical_lengths; DROP TABLE IF EXISTS lexical_instances; DELETE FROM meta WHERE name = 'lexical_form';", transaction);
        TextField = null;
        Current = false;
    }
}

/// <summary>What <see cref="LexicalIndex.Search"/> found.</summary>
/// <param name="Hits">The best points, best first, with their BM25 scores (ties with the last one included).</param>
/// <param name="Attainable">
/// The largest score a row could reach for the query: Σ over the query's terms that some row holds of idf(t) · (k1 + 1),
/// the limit of a term's part as its frequency grows. A hit's score divided by it is the share of the query that the hit
/// matches, on a scale that does not depend on the query's length (hybrid search's confidence in BM25). 0 when no row
/// holds any term.
/// </param>
internal readonly record struct LexicalHits(List<(ulong Key, double Score)> Hits, double Attainable);

/// <summary>
/// The corpus statistics BM25 scores a query with (see <see cref="LexicalIndex.Statistics"/>): N, the sum of the rows'
/// terms, and per query term the rows holding it. A shard's scores equal a single index's when it scores with the
/// sums over every shard.
/// </summary>
/// <param name="Rows">N: the rows of the index.</param>
/// <param name="Terms">The rows' terms, summed (avgdl = Terms / Rows).</param>
/// <param name="DocumentFrequencies">Per query term, in <see cref="FtsLexer.QueryTerms"/>'s order: the rows holding it.</param>
internal sealed record LexicalStatistics(long Rows, long Terms, long[] DocumentFrequencies)
{
    /// <summary>The statistics of the two indexes' rows together (they hold no row in common).</summary>
    public LexicalStatistics Add(LexicalStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.DocumentFrequencies.Length != DocumentFrequencies.Length)
            throw new ArgumentException($"Statistics of {other.DocumentFrequencies.Length} terms cannot be added to statistics of {DocumentFrequencies.Length}.", nameof(other));
        return new(Rows + other.Rows, Terms + other.Terms, [.. DocumentFrequencies.Zip(other.DocumentFrequencies, (a, b) => a + b)]);
    }

    /// <summary>avgdl of <paramref name="rows"/> rows holding <paramref name="terms"/> terms (0 for none).</summary>
    public static double AverageOf(long rows, long terms) => rows == 0 ? 0 : terms / (double)rows;

    /// <summary>The query's attainable score (see <see cref="LexicalHits.Attainable"/>) over this corpus.</summary>
    public double Attainable
    {
        get
        {
            // Term by term, in the query's order, as LexicalIndex.Search adds it up: the same double, bit for bit.
            double attainable = 0;
            foreach (long n in DocumentFrequencies)
                if (n > 0) attainable += LexicalIndex.Idf(Rows, n) * (LexicalIndex.K1 + 1);
            return attainable;
        }
    }
}
