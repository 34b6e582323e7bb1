using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using BitSieve.Ingest.Documents;
using BitSieve.Text;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Evaluation;

/// <summary>
/// One labelled retrieval example: a query and the span of text that answers it. A retrieved chunk counts as relevant
/// when it has the same <see cref="Source"/> and its <c>[start, end)</c> overlaps <c>[Start, End)</c>.
/// </summary>
/// <param name="Query">The query (a section heading without its number).</param>
/// <param name="Source">The document's source path, as the loader was given it (relative, forward slashes).</param>
/// <param name="Start">Start of the relevant span in the document's extracted text.</param>
/// <param name="End">End of the relevant span.</param>
/// <param name="Language">The language tag the example was built for (<c>en</c>, <c>ja</c>).</param>
public sealed record LabelledQuery(string Query, string Source, int Start, int End, string Language)
{
    /// <summary>The <see cref="End"/> of a label that names a whole document: any chunk of <see cref="Source"/> answers it.</summary>
    public const int DocumentEnd = int.MaxValue;

    /// <summary>Whether any chunk of the source answers the query (a set line without <c>start</c> and <c>end</c>).</summary>
    public bool IsWholeDocument => Start == 0 && End == DocumentEnd;

    /// <summary>
    /// The section that answers the query, named by its heading as <see cref="LabelledSetBuilder.QueryFromHeading"/> gives it (a set line
    /// with <c>section</c>), or null. Its span is found when the set is used, in the document as it is extracted then;
    /// until then the label names the whole document.
    /// </summary>
    public string? Section { get; init; }
}

/// <summary>Filters for <see cref="LabelledSetBuilder"/>.</summary>
public sealed record LabelledSetOptions
{
    /// <summary>The default filters.</summary>
    public static LabelledSetOptions Default { get; } = new();

    /// <summary>
    /// A query needs at least this many letters and digits, a CJK character counting two (so 「概要」 passes, "FAQ"
    /// passes, "Go" does not). Default 3.
    /// </summary>
    public int MinQueryWeight { get; init; } = 3;

    /// <summary>A section's own text (its heading excluded) must have at least this many characters. Default 100.</summary>
    public int MinSpanChars { get; init; } = 100;
}

/// <summary>
/// Builds a labelled retrieval set from documents with headings, such as the Debian Reference pages that
/// <c>scripts/fetch-eval-data.sh</c> downloads: for each section, the query is the heading's text without its section
/// number, and the relevant span is the section's own text, from after the heading to the next heading of any level.
/// </summary>
/// <remarks>
/// Skipped: headings too short (<see cref="LabelledSetOptions.MinQueryWeight"/>), with no letter (numbers only),
/// not in the language (an English set takes no heading with CJK characters; a Japanese set only headings with some,
/// which drops sections the translation left in English), sections with little text of their own
/// (<see cref="LabelledSetOptions.MinSpanChars"/>), and headings that occur more than once in the set (case-insensitive)
/// since such a query has more than one right answer. Spans are offsets into the same extraction the ingest pipeline
/// uses (<see cref="DocumentLoader"/>), so they compare directly with chunk offsets.
/// </remarks>
public sealed partial class LabelledSetBuilder
{
    private readonly LabelledSetOptions _options;

    /// <summary>Creates a builder; <see cref="LabelledSetOptions.Default"/> when <paramref name="options"/> is null.</summary>
    public LabelledSetBuilder(LabelledSetOptions? options = null) => _options = options ?? LabelledSetOptions.Default;

    /// <summary>
    /// Builds the set for one language from the supported files under <paramref name="folder"/> whose name carries the
    /// language tag as <c>.{language}.</c> (<c>ch01.en.html</c>). Sources are paths relative to the folder.
    /// </summary>
    /// <param name="folder">The folder to search, recursively.</param>
    /// <param name="language">The language tag: <c>en</c>, <c>ja</c>.</param>
    /// <param name="skipped">Files that could not be loaded, with the reason.</param>
    /// <param name="format">Only files of this format, HTML by default (null: every supported format). The same book in two formats
    /// would make every heading a duplicate, and duplicates are dropped.</param>
    public IReadOnlyList<LabelledQuery> BuildFromFolder(string folder, string language, out IReadOnlyList<LoadResult> skipped,
        DocumentFormat? format = DocumentFormat.Html)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        string root = Path.GetFullPath(folder);
        string tag = "." + language + ".";
        var documents = new List<ExtractedDocument>();
        var failures = new List<LoadResult>();
        IEnumerable<string> paths = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(p => DocumentLoader.FormatOf(p) is { } f && (format is null || f == format)
                        && Path.GetFileName(p).Contains(tag, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            string source = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
            LoadResult result = DocumentLoader.LoadFile(path, source);
            if (result.IsLoaded)
                documents.Add(result.Document);
            else
                failures.Add(result);
        }
        skipped = failures;
        return Build(documents, language);
    }

    /// <summary>Builds the set for one language from loaded documents.</summary>
    public IReadOnlyList<LabelledQuery> Build(IEnumerable<ExtractedDocument> documents, string language)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        bool cjkLanguage = language.ToLowerInvariant() is "ja" or "zh" or "ko" || language.StartsWith("ja-", StringComparison.OrdinalIgnoreCase)
            || language.StartsWith("zh-", StringComparison.OrdinalIgnoreCase) || language.StartsWith("ko-", StringComparison.OrdinalIgnoreCase);

        var candidates = new List<LabelledQuery>();
        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ExtractedDocument doc in documents)
        {
            for (int i = 0; i < doc.Headings.Count; i++)
            {
                DocumentHeading heading = doc.Headings[i];
                string query = QueryFromHeading(heading.Title);
                if (query.Length == 0)
                    continue;
                string key = DuplicateKey(query);
                occurrences[key] = occurrences.GetValueOrDefault(key) + 1;

                if (Weight(query) < _options.MinQueryWeight || !query.Any(char.IsLetter))
                    continue;
                if (ScriptDetector.ContainsCjk(query) != cjkLanguage)
                    continue;

                int start = heading.End;
                int end = i + 1 < doc.Headings.Count ? doc.Headings[i + 1].Start : doc.Text.Length;
                while (start < end && char.IsWhiteSpace(doc.Text[start]))
                    start++;
                while (end > start && char.IsWhiteSpace(doc.Text[end - 1]))
                    end--;
                if (end - start < _options.MinSpanChars)
                    continue;
                candidates.Add(new LabelledQuery(query, doc.Source, start, end, language));
            }
        }
        return [.. candidates.Where(c => occurrences[DuplicateKey(c.Query)] == 1)];
    }

    /// <summary>
    /// A heading without its numbering: "3.1.2. Stage 2: the boot loader" → "Stage 2: the boot loader",
    /// "Chapter 3. The system initialization" → "The system initialization", 「第3章 システムの初期化」 → 「システムの初期化」.
    /// </summary>
    public static string QueryFromHeading(string heading)
    {
        ArgumentNullException.ThrowIfNull(heading);
        string q = string.Join(' ', heading.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        q = WordNumberingRegex().Replace(q, "");
        q = JapaneseNumberingRegex().Replace(q, "");
        q = SectionNumberRegex().Replace(q, "");
        return q.Trim();
    }

    private static string DuplicateKey(string query) => query.ToLowerInvariant();

    private static int Weight(string query)
    {
        int weight = 0;
        foreach (Rune r in query.EnumerateRunes())
        {
            if (ScriptDetector.IsCjk(r))
                weight += 2;
            else if (Rune.IsLetterOrDigit(r))
                weight++;
        }
        return weight;
    }

    [GeneratedRegex(@"^(?:Chapter|Appendix|Section|Part)\s+(?:\d+|[A-Z]|[IVXLC]+)(?:\.\d+)*\.?(?:\s+|$)", RegexOptions.IgnoreCase)]
    private static partial Regex WordNumberingRegex();

    [GeneratedRegex(@"^(?:第\s*[0-9０-９一二三四五六七八九十百]+\s*[章節部編]|付録\s*[A-ZＡ-Ｚ0-9０-９]+\.?)\s*")]
    private static partial Regex JapaneseNumberingRegex();

    [GeneratedRegex(@"^(?:\d+|[A-Z](?=\.\d))(?:\.\d+)*\.?(?:\s+|$)")]
    private static partial Regex SectionNumberRegex();

    /// <summary>
    /// Writes one JSON object a line: <c>{"query":…,"source":…,"start":…,"end":…,"lang":…}</c>, UTF-8, CJK unescaped;
    /// a whole-document label (<see cref="LabelledQuery.IsWholeDocument"/>) has no <c>start</c> and <c>end</c>, and a
    /// label of a section not yet found has its <c>section</c> instead.
    /// </summary>
    public static void WriteJsonl(IEnumerable<LabelledQuery> items, Stream output)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(output);
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        foreach (LabelledQuery item in items)
        {
            using (var writer = new Utf8JsonWriter(output, options))
            {
                writer.WriteStartObject();
                writer.WriteString("query", item.Query);
                writer.WriteString("source", item.Source);
                if (!item.IsWholeDocument)
                {
                    writer.WriteNumber("start", item.Start);
                    writer.WriteNumber("end", item.End);
                }
                else if (item.Section is { } section)
                {
                    writer.WriteString("section", section);
                }
                writer.WriteString("lang", item.Language);
                writer.WriteEndObject();
            }
            output.WriteByte((byte)'\n');
        }
    }

    /// <summary>Writes the set to a JSONL file, replacing it.</summary>
    public static void WriteJsonl(IEnumerable<LabelledQuery> items, string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        WriteJsonl(items, stream);
    }

    /// <summary>
    /// Reads a set written by <see cref="WriteJsonl(IEnumerable{LabelledQuery}, Stream)"/>, or by hand: <c>lang</c> may
    /// be missing; a line has <c>start</c> and <c>end</c> (a span), or <c>section</c> (a heading, see
    /// <see cref="LabelledQuery.Section"/>), or neither (the whole document). A line that breaks these rules is an
    /// error that names it.
    /// </summary>
    public static IReadOnlyList<LabelledQuery> ReadJsonl(string path)
    {
        var items = new List<LabelledQuery>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            using var json = JsonDocument.Parse(line);
            JsonElement e = json.RootElement;
            bool hasStart = e.TryGetProperty("start", out JsonElement start);
            bool hasEnd = e.TryGetProperty("end", out JsonElement end);
            bool hasSection = e.TryGetProperty("section", out JsonElement section);
            if (hasStart != hasEnd || (hasStart && hasSection))
                throw new InvalidDataException($"{path}:{number}: a label has both start and end, or a section, or neither.");
            items.Add(new LabelledQuery(
                e.GetProperty("query").GetString() ?? "",
                e.GetProperty("source").GetString() ?? "",
                hasStart ? start.GetInt32() : 0,
                hasEnd ? end.GetInt32() : LabelledQuery.DocumentEnd,
                e.TryGetProperty("lang", out JsonElement lang) ? lang.GetString() ?? "" : "")
            {
                Section = hasSection ? section.GetString() : null,
            });
        }
        return items;
    }
}
