using BitSieve.Filters;
using BitSieve.Search;
using BitSieve.Storage;
using BitSieve.Text;

namespace BitSieve;

public sealed partial class Collection
{
    /// <summary>At most this many points per page or retrieval.</summary>
    public const int MaxPage = 100_000;

    /// <summary>
    /// Searches the collection: the vector index's cascade (or direct exact scoring for a very selective filter), then
    /// ids and payloads from the points database, all from one consistent state.
    /// </summary>
    /// <param name="query">The query vector.</param>
    /// <param name="options">k, quality, threads; null for the defaults.</param>
    /// <param name="filter">Only points this payload filter selects; null for all.</param>
    /// <param name="withPayload">Return payloads.</param>
    /// <param name="withVector">Return stored vectors.</param>
    public PointSearchResult Search(ReadOnlySpan<float> query, SearchOptions? options = null, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        var where = filter is null ? null : FilterSql.Translate(filter);
        using var scope = EnterRead();
        var keys = FilterKeysOf(filter, where);
        var result = _index.Search(query, options, keys?.Allowed);
        return ToScored(result, withPayload, withVector);
    }

    /// <summary>Reciprocal rank fusion's constant: a hit at rank r (from 1) adds 1 / (RrfK + r) (Cormack et al., 2009).</summary>
    public const int RrfK = 60;

    /// <summary>
    /// Lexical search: BM25 over the text field (see <see cref="CreatePayloadIndex"/> with schema <c>text</c>), English
    /// words without plural endings and CJK text as character bigrams, among the points a filter selects. Scores are the
    /// BM25 scores (k1 = 1.2, b = 0.75, non-negative idf), higher is better; equal scores go to the smaller id.
    /// </summary>
    public PointSearchResult SearchText(string query, int k = 10, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        new SearchOptions { K = k }.Validate();
        var where = filter is null ? null : FilterSql.Translate(filter);
        using var scope = EnterRead();
        return ResolveRanked(_store.Lexical.Search(query, k, where).Hits, k, withPayload, withVector);
    }

    /// <summary>
    /// Hybrid search: the vector cascade and BM25 each rank their best candidates (<paramref name="candidates"/>
    /// each, at least k), fused by the ladder (<c>Fusion</c>): the list more confident in this query leads (on an
    /// absolute scale of [0, 1], the vector list's confidence is the cosine similarity of its top hit, 1 for a metric
    /// other than cosine, BM25's the share of the query's attainable BM25 score that its top hit reaches) and orders
    /// its hits in units of its scores' standard deviation; the other list breaks its near-ties, adding at most one
    /// unit; a hit the leader does not hold is placed by the other list's rank for it, at the leader's score of that
    /// rank, when the leader's absence says nothing against it (BM25 leads, or its list holds every point with a
    /// query term). Scores are the fused scores. Use it where neither method
    /// alone serves every question: on real questions the vectors lead, on exact terms and headings BM25 does, and the
    /// built-in models do not understand Japanese (BM25 on bigrams does).
    /// </summary>
    /// <param name="vector">The query vector.</param>
    /// <param name="query">The query text, for BM25.</param>
    /// <param name="options">k and the vector search's quality; null for the defaults.</param>
    /// <param name="filter">Only points this payload filter selects; null for all.</param>
    /// <param name="withPayload">Return payloads.</param>
    /// <param name="withVector">Return stored vectors.</param>
    /// <param name="candidates">Candidates each list contributes (at least k).</param>
    /// <param name="vectorWeight">
    /// A factor on the vector list's weight (see <see cref="HybridVectorWeight"/>), BM25's being 1; ties go to the
    /// smaller id. 0 ranks BM25's hits first, in BM25's order, and fills up with the vector list's other hits in its
    /// order: for a query the embedding model cannot read.
    /// </param>
    public PointSearchResult SearchHybrid(ReadOnlySpan<float> vector, string query, SearchOptions? options = null, Filter? filter = null,
        bool withPayload = true, bool withVector = false, int candidates = 50, double vectorWeight = 1)
        => SearchHybrid(vector, query, Fusion.Default, options, filter, withPayload, withVector, candidates, vectorWeight);

    /// <summary><see cref="SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/> under a given fusion rule (for <c>bitsieve eval</c>'s comparison of rules).</summary>
    internal PointSearchResult SearchHybrid(ReadOnlySpan<float> vector, string query, FusionRule rule, SearchOptions? options = null, Filter? filter = null,
        bool withPayload = true, bool withVector = false, int candidates = 50, double vectorWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!double.IsFinite(vectorWeight) || vectorWeight < 0)
            throw new ArgumentOutOfRangeException(nameof(vectorWeight), vectorWeight, "The vector weight must be a finite number of at least 0.");
        options ??= new SearchOptions();
        options.Validate();
        int pool = Math.Max(options.K, candidates);
        var where = filter is null ? null : FilterSql.Translate(filter);
        using var scope = EnterRead();
        var keys = FilterKeysOf(filter, where);
        var semantic = _index.Search(vector, options with { K = pool }, keys?.Allowed);
        var lexical = _store.Lexical.Search(query, pool, where);
        var best = Fusion.Hybrid([.. semantic.Hits.Select(h => (h.Id, h.Score))], lexical.Hits, lexical.Attainable, Options.Metric, vectorWeight, options.K, pool, rule);
        return Resolve(best, semantic.Trace, withPayload, withVector);
    }

    /// <summary>
    /// This collection's part of the BM25 statistics of <paramref name="query"/> (N, the rows' terms, each query term's
    /// document frequency), for a collection that is one shard of a larger corpus: the shards' statistics add up to the
    /// corpus's (<see cref="LexicalStatistics.Add"/>).
    /// </summary>
    internal LexicalStatistics TextStatistics(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var scope = EnterRead();
        return _store.Lexical.Statistics(query);
    }

    /// <summary>
    /// One shard's part of a hybrid search over a sharded corpus: the two candidate lists of
    /// <see cref="SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/> before
    /// fusion, from one consistent state: the best max(k, <paramref name="candidates"/>) by vector, and the best as many
    /// by BM25 (with every tie of the last, best first, with their double scores) scored with the
    /// <paramref name="corpus"/>'s statistics, so that its scores
    /// equal a single collection's of the whole corpus. The caller merges every shard's lists and fuses them with
    /// <see cref="Fusion.Hybrid"/>, as a single collection does.
    /// </summary>
    internal (PointSearchResult Vector, List<(ScoredPoint Hit, double Score)> Lexical) SearchHybridParts(ReadOnlySpan<float> vector, string query, LexicalStatistics corpus,
        SearchOptions? options = null, Filter? filter = null, bool withPayload = true, bool withVector = false, int candidates = 50)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(corpus);
        options ??= new SearchOptions();
        options.Validate();
        int pool = Math.Max(options.K, candidates);
        var where = filter is null ? null : FilterSql.Translate(filter);
        using var scope = EnterRead();
        var keys = FilterKeysOf(filter, where);
        var semantic = _index.Search(vector, options with { K = pool }, keys?.Allowed);
        return (ToScored(semantic, withPayload, withVector), LexicalHits(query, pool, where, corpus, withPayload, withVector));
    }

    /// <summary>
    /// One shard's part of a lexical search over a sharded corpus: its best <paramref name="k"/> by BM25 (with every tie
    /// of the last, best first, with their double scores) scored with the <paramref name="corpus"/>'s statistics. The
    /// caller merges every shard's list by score, then id, as <see cref="SearchText"/> orders one collection's.
    /// </summary>
    internal List<(ScoredPoint Hit, double Score)> SearchTextParts(string query, int k, LexicalStatistics corpus, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(corpus);
        new SearchOptions { K = k }.Validate();
        var where = filter is null ? null : FilterSql.Translate(filter);
        using var scope = EnterRead();
        return LexicalHits(query, k, where, corpus, withPayload, withVector);
    }

    /// <summary>BM25's best <paramref name="k"/> under the corpus's statistics, as points; the scores stay doubles, as a single collection fuses and orders them.</summary>
    private List<(ScoredPoint Hit, double Score)> LexicalHits(string query, int k, FilterSqlClause? where, LexicalStatistics corpus, bool withPayload, bool withVector)
    {
        var lexical = _store.Lexical.Search(query, k, where, corpus);
        var rows = _store.Rows.Get(lexical.Hits.Select(h => h.Key), withPayload);
        return lexical.Hits.Where(h => rows.ContainsKey(h.Key))
            .Select(h => (new ScoredPoint(rows[h.Key].Id, (float)h.Score, withPayload ? ParsePayload(rows[h.Key].Payload) : null, withVector ? _index.GetVector(h.Key) : null), h.Score))
            .ToList();
    }

    /// <summary>
    /// The <c>vectorWeight</c> for <see cref="SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/> that the CLI and the server's <c>/v1</c> routes use: 0 when
    /// the embedding model was trained on one language other than Chinese, Japanese or Korean and the query holds any CJK
    /// character (such a model cannot read it, so BM25 orders the hits and the vectors only fill up), otherwise 1.
    /// </summary>
    /// <param name="query">The query text.</param>
    /// <param name="modelLanguage">The embedding model's language, a BCP 47 tag; null when the model does not say (as a
    /// multilingual one may not), which gives 1.</param>
    public static double HybridVectorWeight(string query, string? modelLanguage) => ScriptDetector.HybridVectorWeight(query, modelLanguage);

    /// <summary>A property set by <see cref="SetProperty"/>, or null.</summary>
    public string? GetProperty(string name) => Read(() => _store.GetProperty(name));

    /// <summary>Points by id, in the order asked; ids that do not exist are left out.</summary>
    public IReadOnlyList<PointRecord> Retrieve(IEnumerable<PointId> ids, bool withPayload = true, bool withVector = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.Distinct().ToList();
        if (wanted.Count > MaxPage) throw new ArgumentException($"At most {MaxPage} ids per retrieval; got {wanted.Count}.", nameof(ids));
        return Read(() =>
        {
            var keys = _store.Rows.KeysOf(wanted);
            var rows = _store.Rows.Get(keys.Values, withPayload);
            var found = new List<PointRecord>(keys.Count);
            foreach (var id in wanted)
            {
                if (!keys.TryGetValue(id, out ulong key) || !rows.TryGetValue(key, out var row)) continue;
                found.Add(new PointRecord(id, withPayload ? ParsePayload(row.Payload) : null, withVector ? _index.GetVector(key) : null));
            }
            return found;
        });
    }

    /// <summary>Pages through the points in id order (integers, then UUIDs), starting at <paramref name="offset"/>.</summary>
    public ScrollPage Scroll(PointId? offset = null, int limit = 10, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        if (limit is < 1 or > MaxPage) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1..{MaxPage} points.");
        var where = filter is null ? null : FilterSql.Translate(filter);
        return Read(() =>
        {
            var page = _store.Rows.Scroll(offset, limit + 1, where);
            var points = page.Take(limit)
                .Select(p => new PointRecord(p.Id, withPayload ? ParsePayload(p.Payload) : null, withVector ? _index.GetVector(p.Key) : null))
                .ToList();
            return new ScrollPage(points, page.Count > limit ? page[limit].Id : null);
        });
    }

    /// <summary>Points counted exactly (those a filter selects, or all).</summary>
    public long CountPoints(Filter? filter = null)
    {
        var where = filter is null ? null : FilterSql.Translate(filter);
        return Read(() => _store.Rows.Count(where));
    }

    /// <summary>
    /// The keys a filtered search needs (null without a filter), from the cache when this state already read them:
    /// the filter's cardinality is estimated first, and its plan reads the allowed keys, or, when nearly every point
    /// is allowed, the rejected ones. The caller is inside <see cref="EnterRead"/>.
    /// </summary>
    private FilterKeys? FilterKeysOf(Filter? filter, FilterSqlClause? where)
    {
        if (filter is null || where is null) return null;
        long sequence = DatabaseOptions.ReadOnly ? _readSequence : _store.AppliedSequence;
        string cacheKey = where.CacheKey();
        if (_filterKeys.TryGet(cacheKey, sequence, out var cached)) return cached;
        var plan = PlanFilter(filter, where);
        var keys = new FilterKeys(plan, _store.Rows.Keys(where, rejected: plan == FilterPlan.CascadeExceptRejected));
        _filterKeys.Add(cacheKey, sequence, keys);
        return keys;
    }

    /// <summary>The cache of the keys recent filters read (<see cref="FilterKeysOf"/>).</summary>
    internal AllowedKeyCache FilterKeyCache => _filterKeys;

    /// <summary>The plan of a filter on this collection's current state (see <see cref="FilterPlanner"/>).</summary>
    internal FilterPlan PlanFilter(Filter filter, FilterSqlClause where)
    {
        long total = _index.Count;
        Dictionary<string, PayloadSchemaType>? indexes = null;
        long? CountIndexed(FieldCondition field, long cap)
        {
            indexes ??= _store.PayloadIndexes.FilterIndexes();
            if (!indexes.TryGetValue(field.Key.Text, out var schema) || !IndexServes(schema, field.Predicate)) return null;
            return _store.Rows.CountUpTo(FilterSql.Translate(new Filter(Must: [field])), cap);
        }
        var estimate = FilterPlanner.Estimate(filter, total, CountIndexed);
        return FilterPlanner.Choose(estimate, total, () => _store.Rows.SampleRejected(where, FilterPlanner.SampleSize));
    }

    /// <summary>Whether an expression index of this schema answers the predicate (so a capped count of it is cheap).</summary>
    private static bool IndexServes(PayloadSchemaType schema, FieldPredicate predicate) => (schema, predicate) switch
    {
        (PayloadSchemaType.Keyword, MatchKeyword or MatchAnyKeyword) => true,
        (PayloadSchemaType.Integer, MatchInteger or MatchAnyInteger or NumericRange) => true,
        (PayloadSchemaType.Float, NumericRange) => true,
        (PayloadSchemaType.Bool, MatchBool) => true,
        (PayloadSchemaType.Datetime, DatetimeRange) => true,
        _ => false,
    };

    private PointSearchResult Resolve(List<(ulong Key, float Score)> hits, SearchTrace trace, bool withPayload, bool withVector)
    {
        var rows = _store.Rows.Get(hits.Select(h => h.Key), withPayload);
        var scored = new List<ScoredPoint>(hits.Count);
        foreach (var (key, score) in hits)
        {
            if (!rows.TryGetValue(key, out var row)) continue;
            scored.Add(new ScoredPoint(row.Id, score, withPayload ? ParsePayload(row.Payload) : null, withVector ? _index.GetVector(key) : null));
        }
        return new PointSearchResult(scored, trace);
    }

    /// <summary>
    /// The best <paramref name="k"/> of scored keys (best first, with every tie of the last), ties ordered by point id
    /// (as <see cref="Scroll"/> orders points): a ranking that does not depend on the order the points were written in.
    /// </summary>
    private PointSearchResult ResolveRanked(List<(ulong Key, double Score)> hits, int k, bool withPayload, bool withVector)
    {
        var rows = _store.Rows.Get(hits.Select(h => h.Key), withPayload);
        var ranked = hits.Where(h => rows.ContainsKey(h.Key)).OrderByDescending(h => h.Score).ThenBy(h => rows[h.Key].Id).Take(k);
        var scored = ranked.Select(h => new ScoredPoint(rows[h.Key].Id, (float)h.Score, withPayload ? ParsePayload(rows[h.Key].Payload) : null, withVector ? _index.GetVector(h.Key) : null));
        // No vector tier runs: the trace stays empty.
        return new PointSearchResult([.. scored], new SearchTrace());
    }

    private PointSearchResult ToScored(SearchResult result, bool withPayload, bool withVector)
    {
        var rows = _store.Rows.Get(result.Hits.Select(h => h.Id), withPayload);
        var hits = new List<ScoredPoint>(result.Hits.Count);
        foreach (var hit in result.Hits)
        {
            // Every live key of the index has its row: both change under the same write lock (a reader: both are at the same record).
            if (!rows.TryGetValue(hit.Id, out var row)) continue;
            hits.Add(new ScoredPoint(row.Id, hit.Score, withPayload ? ParsePayload(row.Payload) : null, withVector ? _index.GetVector(hit.Id) : null));
        }
        return new PointSearchResult(hits, result.Trace);
    }
}
