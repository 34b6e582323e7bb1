using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BitSieve.Cli.Commands;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Evaluation;
using BitSieve.Ingest.Pipeline;
using BitSieve.Ingest.Rag;
using BitSieve.Search;

namespace BitSieve.Cli.Evaluation;

/// <summary>What <c>bitsieve eval</c> runs.</summary>
internal sealed record EvalSettings
{
    /// <summary>The folder to index and (without <see cref="SetPath"/>) to build the labelled set from.</summary>
    public required string Folder { get; init; }

    /// <summary>The language tag of the labelled set (<c>en</c>, <c>ja</c>).</summary>
    public required string Language { get; init; }

    /// <summary>A labelled set (JSONL, as <see cref="LabelledSetBuilder.WriteJsonl(IEnumerable{LabelledQuery}, string)"/> writes) to read instead of building one.</summary>
    public string? SetPath { get; init; }

    /// <summary>Where to write the labelled set used (JSONL), or null.</summary>
    public string? SaveSetPath { get; init; }

    /// <summary>The collection to index into and search.</summary>
    public required string Collection { get; init; }

    /// <summary>The embedding model; null: the collection's, else the default.</summary>
    public string? Model { get; init; }

    /// <summary>The precision asked for (see <see cref="PrecisionChoice"/>); not given: the collection's, fp32 for a new one.</summary>
    public PrecisionRequest Precision { get; init; } = PrecisionRequest.Stored;

    /// <summary>m of the fixed-oversampling rows (top 10·m by the 1-bit estimate, rescored with float32).</summary>
    public int Oversampling { get; init; } = 4;

    /// <summary>Add a <c>fusion</c> row per fusion rule (<see cref="FusionRule"/>), the vector side under the default cascade.</summary>
    public bool Fusions { get; init; }
}

/// <summary>One row of the evaluation: a retrieval method under one vector-search setting.</summary>
/// <param name="Method">vector, lexical, hybrid, or fusion (hybrid under each fusion rule).</param>
/// <param name="Setting">The vector search used (float32 exact, cascade 0.995, cascade exact, fixed m=4), BM25 for lexical, the rule for fusion.</param>
/// <param name="Metrics">The metrics averaged over the answerable queries.</param>
/// <param name="NdcgVsFloat32">nDCG@10 divided by the same method's with float32 exact vector search; null for lexical.</param>
/// <param name="OverlapVsFloat32">Mean |top 10 ∩ float32 top 10| / |float32 top 10|; null for lexical.</param>
/// <param name="MillisPerQuery">Mean search time per query (payloads included; noisy on a shared machine).</param>
internal sealed record EvalRow(string Method, string Setting, MetricTotals Metrics, double? NdcgVsFloat32, double? OverlapVsFloat32, double MillisPerQuery);

/// <summary>The result of an evaluation run.</summary>
internal sealed record EvalReport
{
    /// <summary>The settings it ran with.</summary>
    public required EvalSettings Settings { get; init; }

    /// <summary>The embedding model of the collection.</summary>
    public required string Model { get; init; }

    /// <summary>The precision its model ran at (<c>fp32</c>, <c>int8</c> or <c>auto (plan KEY)</c>).</summary>
    public required string Precision { get; init; }

    /// <summary>What indexing the folder did in this run.</summary>
    public required IndexReport Index { get; init; }

    /// <summary>Chunks in the collection.</summary>
    public required long Chunks { get; init; }

    /// <summary>Labelled queries in the set (for the language).</summary>
    public required int Labelled { get; init; }

    /// <summary>Labelled queries no chunk of the collection overlaps (left out of every metric).</summary>
    public required int Unanswerable { get; init; }

    /// <summary>The rows, vector first, then lexical, then hybrid.</summary>
    public required IReadOnlyList<EvalRow> Rows { get; init; }

    /// <summary>The row of a method and setting.</summary>
    public EvalRow Row(string method, string setting) => Rows.Single(r => r.Method == method && r.Setting == setting);
}

/// <summary>
/// Runs <c>bitsieve eval</c>: indexes the folder (incrementally), takes the labelled set, and scores every query with
/// vector, lexical and hybrid search under each vector-search setting, against the float32 exhaustive baseline.
/// </summary>
internal static class EvalRunner
{
    /// <summary>The results per query that are scored (metrics are cut at 10).</summary>
    public const int K = RetrievalMetrics.Depth;

    /// <summary>The setting names, as the rows and the JSON carry them.</summary>
    public const string Float32Exact = "float32 exact", CascadeExact = "cascade exact", Bm25 = "BM25";

    /// <summary>The default cascade's setting name (<c>cascade 0.995</c>).</summary>
    public static string CascadeDefault { get; } = "cascade " + Quality.Default;

    /// <summary>
    /// Indexes, builds or reads the set, searches, and scores; progress goes to <paramref name="log"/>. Cancelling
    /// stops it between documents, embedding batches or search settings.
    /// </summary>
    public static async Task<EvalReport> RunAsync(Database database, EvalSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        if (settings.Oversampling < 1) throw new UsageException($"--oversampling must be at least 1; got {settings.Oversampling}.");
        if (settings.SetPath is { } set && !File.Exists(set)) throw new UsageException($"the labelled set '{set}' does not exist.");

        if (!Directory.Exists(settings.Folder)) throw new UsageException($"the folder '{settings.Folder}' does not exist.");
        var labels = LoadSet(settings, log);
        if (settings.SaveSetPath is { } save) LabelledSetBuilder.WriteJsonl(labels, save);
        var index = await IndexCommand.ExecuteAsync(database, settings.Collection, settings.Model, settings.Precision, settings.Folder, log, cancellationToken).ConfigureAwait(false);
        IndexCommand.WriteReport(index, log);

        using var rag = new CliRag(database, indexing: false);
        var opened = await rag.OpenAsync(settings.Collection, null, PrecisionRequest.Stored, create: false, cancellationToken).ConfigureAwait(false);
        var collection = database.GetCollection(settings.Collection);
        var spans = ChunkSpans(collection, out long chunks);
        var queries = new List<(LabelledQuery Label, int Relevant)>();
        int unanswerable = 0;
        foreach (var label in labels)
        {
            int relevant = spans.TryGetValue(label.Source, out var list) ? list.Count(s => RetrievalMetrics.IsRelevant(label, label.Source, s.Start, s.End)) : 0;
            if (relevant > 0)
            {
                queries.Add((label, relevant));
            }
            else
            {
                if (unanswerable < 5) log.WriteLine($"warning: no chunk overlaps the labelled span of \"{label.Query}\" ({label.Source} [{label.Start}..{label.End}]); left out");
                unanswerable++;
            }
        }
        if (queries.Count == 0)
            throw new UsageException($"none of the {labels.Count} labelled spans overlaps a chunk of collection '{settings.Collection}': build the set from the folder that is indexed.");
        if (unanswerable > 5) log.WriteLine($"warning: {unanswerable} labelled queries in all have no overlapping chunk; left out");

        var vectors = await EmbedQueriesAsync(opened, [.. queries.Select(q => q.Label.Query)], log, cancellationToken).ConfigureAwait(false);
        // The hybrid rows weigh the vector list per query exactly as search and ask do (inside RagCollection.Search).
        int lexicalFirst = queries.Count(q => Collection.HybridVectorWeight(q.Label.Query, opened.ModelLanguage) == 0);
        if (lexicalFirst > 0) log.WriteLine($"hybrid: {lexicalFirst} of {queries.Count} queries contain CJK and model {opened.ModelName} is {opened.ModelLanguage}-only: its vectors only fill up BM25's list for them");

        var vectorSettings = new (string Name, SearchOptions Options)[]
        {
            (Float32Exact, new SearchOptions { K = K, Exhaustive = true }),
            (CascadeDefault, new SearchOptions { K = K, Quality = Quality.Default }),
            (CascadeExact, new SearchOptions { K = K, Quality = Quality.Exact }),
            ($"fixed m={settings.Oversampling}", new SearchOptions { K = K, Oversampling = settings.Oversampling }),
        };
        var rows = new List<EvalRow>();
        foreach (string method in new[] { "vector", "lexical", "hybrid" })
        {
            List<PointId[]>? baseline = null;
            MetricTotals? baselineMetrics = null;
            foreach (var (name, options) in method == "lexical" ? [(Bm25, new SearchOptions { K = K })] : vectorSettings)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var search = new RagSearchOptions
                {
                    Mode = method switch { "vector" => RagSearchMode.Vector, "lexical" => RagSearchMode.Lexical, _ => RagSearchMode.Hybrid },
                    Search = options,
                };
                var (metrics, tops, millis) = await ScoreAsync(queries, i => opened.SearchEmbeddedAsync(queries[i].Label.Query, vectors[i], search)).ConfigureAwait(false);
                double? ratio = null, overlap = null;
                if (method != "lexical")
                {
                    if (baseline is null)
                    {
                        baseline = tops;
                        baselineMetrics = metrics;
                    }
                    ratio = baselineMetrics!.Ndcg == 0 ? null : metrics.Ndcg / baselineMetrics.Ndcg;
                    overlap = tops.Zip(baseline, (a, b) => b.Length == 0 ? 1.0 : (double)a.Intersect(b).Count() / b.Length).Average();
                }
                rows.Add(new EvalRow(method, name, metrics, ratio, overlap, millis));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method} / {name}: nDCG@10 {metrics.Ndcg:F4} ({millis:F2} ms/query)"));
            }
        }
        if (settings.Fusions)
        {
            var cascade = new SearchOptions { K = K, Quality = Quality.Default };
            foreach (var rule in Enum.GetValues<FusionRule>())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (metrics, _, millis) = await ScoreAsync(queries, i => Task.FromResult(collection.SearchHybrid(vectors[i].Span, queries[i].Label.Query, rule, cascade, vectorWeight: Collection.HybridVectorWeight(queries[i].Label.Query, opened.ModelLanguage))));
                rows.Add(new EvalRow("fusion", FusionName(rule), metrics, null, null, millis));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fusion / {FusionName(rule)}: nDCG@10 {metrics.Ndcg:F4}"));
            }
        }
        return new EvalReport
        {
            Settings = settings,
            Model = opened.ModelName,
            Precision = StoredPrecision.Describe(opened.Bound?.Precision ?? StoredPrecision.Fp32),
            Index = index,
            Chunks = chunks,
            Labelled = labels.Count,
            Unanswerable = unanswerable,
            Rows = rows,
        };
    }

    /// <summary>The name of a fusion rule in the rows (<c>ReciprocalRank</c> → <c>reciprocal-rank</c>).</summary>
    public static string FusionName(FusionRule rule) => string.Concat(rule.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>Runs a search for every query and scores the rankings; also the top ids and the mean time per query.</summary>
    private static async Task<(MetricTotals Metrics, List<PointId[]> Tops, double Millis)> ScoreAsync(List<(LabelledQuery Label, int Relevant)> queries, Func<int, Task<PointSearchResult>> search)
    {
        var metrics = new MetricTotals();
        var tops = new List<PointId[]>(queries.Count);
        var clock = Stopwatch.StartNew();
        var results = new PointSearchResult[queries.Count];
        for (int i = 0; i < queries.Count; i++) results[i] = await search(i).ConfigureAwait(false);
        double millis = clock.Elapsed.TotalMilliseconds / queries.Count;
        for (int i = 0; i < queries.Count; i++)
        {
            var label = queries[i].Label;
            var ranking = results[i].Hits.Select(h => ChunkPayload.Read(h.Payload) is { } chunk
                && RetrievalMetrics.IsRelevant(label, chunk.Source, chunk.Start, chunk.End)).ToList();
            metrics.Add(ranking, queries[i].Relevant);
            tops.Add([.. results[i].Hits.Select(h => h.Id)]);
        }
        return (metrics, tops, millis);
    }

    /// <summary>The labelled set of a run: read from <see cref="EvalSettings.SetPath"/> (its sections found), or built from the folder's headings.</summary>
    internal static IReadOnlyList<LabelledQuery> LoadSet(EvalSettings settings, TextWriter log)
    {
        if (settings.SetPath is { } path)
        {
            // A set may hold several languages; take this one's (and untagged lines).
            List<LabelledQuery> read;
            try
            {
                read = [.. LabelledSetBuilder.ReadJsonl(path)
                    .Where(q => q.Language.Length == 0 || q.Language.Equals(settings.Language, StringComparison.OrdinalIgnoreCase))];
            }
            catch (Exception e) when (e is InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new UsageException($"the labelled set '{path}' cannot be read: {e.Message}");
            }
            return read.Any(q => q.Section is not null) ? FindSections(read, settings, log) : read;
        }
        var built = new LabelledSetBuilder().BuildFromFolder(settings.Folder, settings.Language, out var skipped);
        foreach (var s in skipped) log.WriteLine($"warning: labelled set: skipped {s.Source}: {s.Skip}");
        if (built.Count == 0)
            throw new UsageException($"no labelled queries for language '{settings.Language}' in '{settings.Folder}': the set is built from HTML files named *.{settings.Language}.html with headings; or give one with --set.");
        return built;
    }

    /// <summary>
    /// Gives each label that names a section (<see cref="LabelledQuery.Section"/>) that section's span in the folder's
    /// documents as they are extracted now: the heading set of the folder (<see cref="LabelledSetBuilder"/>) maps
    /// (source, heading) to a span. A section the folder does not have is an error that names it.
    /// </summary>
    private static List<LabelledQuery> FindSections(List<LabelledQuery> labels, EvalSettings settings, TextWriter log)
    {
        var headings = new LabelledSetBuilder().BuildFromFolder(settings.Folder, settings.Language, out var skipped);
        foreach (var s in skipped) log.WriteLine($"warning: sections: skipped {s.Source}: {s.Skip}");
        var spans = headings.ToDictionary(h => (h.Source, h.Query), h => (h.Start, h.End));
        var found = new List<LabelledQuery>(labels.Count);
        foreach (var label in labels)
        {
            if (label.Section is not { } section)
            {
                found.Add(label);
                continue;
            }
            if (!spans.TryGetValue((label.Source, section), out var span))
                throw new UsageException($"the section \"{section}\" of '{label.Source}' (for \"{label.Query}\") is not a heading of '{settings.Folder}' (or it is too short or not unique).");
            found.Add(label with { Start = span.Start, End = span.End, Section = null });
        }
        return found;
    }

    /// <summary>Every chunk's span in the collection, by source.</summary>
    private static Dictionary<string, List<(int Start, int End)>> ChunkSpans(Collection collection, out long chunks)
    {
        var spans = new Dictionary<string, List<(int Start, int End)>>(StringComparer.Ordinal);
        chunks = 0;
        PointId? offset = null;
        do
        {
            var page = collection.Scroll(offset, 1000);
            foreach (var point in page.Points)
            {
                chunks++;
                if (ChunkPayload.Read(point.Payload) is not { } chunk) continue;
                if (!spans.TryGetValue(chunk.Source, out var list)) spans[chunk.Source] = list = [];
                list.Add((chunk.Start, chunk.End));
            }
            offset = page.NextOffset;
        }
        while (offset is not null);
        return spans;
    }

    /// <summary>The queries' vectors with the collection's model, in batches (cancellable between them).</summary>
    private static async Task<ReadOnlyMemory<float>[]> EmbedQueriesAsync(RagCollection collection, List<string> queries, TextWriter log, CancellationToken cancellationToken)
    {
        var vectors = new List<ReadOnlyMemory<float>>(queries.Count);
        const int batch = 64;
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < queries.Count; start += batch)
        {
            var part = queries.GetRange(start, Math.Min(batch, queries.Count - start));
            vectors.AddRange(await CliRag.Checked(collection.EmbedQueriesAsync(part, cancellationToken)).ConfigureAwait(false));
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedded {queries.Count} queries in {clock.Elapsed.TotalSeconds:F1} s"));
        return [.. vectors];
    }

    /// <summary>The report as a Markdown table with a header line and the two comparisons the issue asks about.</summary>
    public static void WriteTable(EvalReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var s = report.Settings;
        int answered = report.Labelled - report.Unanswerable;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bitsieve eval: {answered} queries ({s.Language}; {report.Unanswerable} of {report.Labelled} labelled left out, no overlapping chunk), {report.Chunks} chunks in collection '{s.Collection}', model {report.Model}, precision {report.Precision}"));
        output.WriteLine();
        output.WriteLine("| method | vector search | Recall@1 | Recall@5 | Recall@10 | MRR@10 | nDCG@10 | nDCG@10 / float32 | top-10 overlap with float32 | ms/query |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in report.Rows)
        {
            var m = row.Metrics;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Method} | {row.Setting} | {m.RecallAt1:F4} | {m.RecallAt5:F4} | {m.RecallAt10:F4} | {m.Mrr:F4} | {m.Ndcg:F4} | {Optional(row.NdcgVsFloat32)} | {Optional(row.OverlapVsFloat32)} | {row.MillisPerQuery:F2} |"));
        }
        output.WriteLine();
        var vector = report.Row("vector", CascadeDefault);
        var lexical = report.Row("lexical", Bm25);
        var hybrid = report.Row("hybrid", CascadeDefault);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"default cascade / float32 exact, nDCG@10: vector {Optional(vector.NdcgVsFloat32)}, hybrid {Optional(report.Row("hybrid", CascadeDefault).NdcgVsFloat32)}"));
        double best = Math.Max(vector.Metrics.Ndcg, lexical.Metrics.Ndcg);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hybrid (the default mode) nDCG@10 {hybrid.Metrics.Ndcg:F4} vs vector {vector.Metrics.Ndcg:F4}, lexical {lexical.Metrics.Ndcg:F4}: {(best == 0 ? "-" : (hybrid.Metrics.Ndcg / best).ToString("F4", CultureInfo.InvariantCulture))} of the best single method"));
        output.Flush();
    }

    private static string Optional(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "";

    /// <summary>The report as one JSON line.</summary>
    public static string ToJson(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var s = report.Settings;
            w.WriteStartObject();
            w.WriteString("folder", s.Folder);
            w.WriteString("lang", s.Language);
            w.WriteString("collection", s.Collection);
            w.WriteString("model", report.Model);
            w.WriteString("precision", report.Precision);
            w.WriteNumber("chunks", report.Chunks);
            w.WriteNumber("labelled", report.Labelled);
            w.WriteNumber("unanswerable", report.Unanswerable);
            w.WriteNumber("queries", report.Labelled - report.Unanswerable);
            w.WriteStartObject("index");
            w.WriteNumber("indexed_files", report.Index.Indexed);
            w.WriteNumber("unchanged_files", report.Index.Unchanged);
            w.WriteNumber("chunks", report.Index.Chunks);
            w.WriteNumber("seconds", Math.Round(report.Index.Elapsed.TotalSeconds, 3));
            w.WriteEndObject();
            w.WriteStartArray("rows");
            foreach (var row in report.Rows)
            {
                var m = row.Metrics;
                w.WriteStartObject();
                w.WriteString("method", row.Method);
                w.WriteString("setting", row.Setting);
                w.WriteNumber("recall@1", m.RecallAt1);
                w.WriteNumber("recall@5", m.RecallAt5);
                w.WriteNumber("recall@10", m.RecallAt10);
                w.WriteNumber("mrr@10", m.Mrr);
                w.WriteNumber("ndcg@10", m.Ndcg);
                if (row.NdcgVsFloat32 is { } ratio) w.WriteNumber("ndcg_vs_float32", ratio);
                else w.WriteNull("ndcg_vs_float32");
                if (row.OverlapVsFloat32 is { } overlap) w.WriteNumber("overlap_vs_float32", overlap);
                else w.WriteNull("overlap_vs_float32");
                w.WriteNumber("ms_per_query", Math.Round(row.MillisPerQuery, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
