using System.IO.Hashing;
using System.Text;
using BitSieve.Ingest.Documents;
using Microsoft.Data.Sqlite;

namespace BitSieve.Ingest.Loading;

/// <summary>
/// Documents already extracted, shared by every database and process of a user: one SQLite file,
/// <c>extractions.sqlite</c>, in the cache folder the embedding cache uses. Parsing HTML and PDF costs far more than
/// looking the result up, so a file indexed once (into any database, under any name) is not parsed again.
/// </summary>
/// <remarks>
/// <para>
/// An entry is keyed by the extractor and the file's content hash (XxHash128, as <see cref="Scanning.FolderScanner"/>
/// computes it). The extractor is the document format, the loader options, and the builds of the code that extracts:
/// this assembly and the parsers it calls (AngleSharp, PdfPig), by module version id. Any change to the loaders, or
/// an upgrade of a parser, therefore misses the old entries instead of serving text the new code would not produce.
/// </para>
/// <para>Schema (<c>PRAGMA user_version = 1</c>):</para>
/// <code>
/// documents(extractor BLOB NOT NULL,     -- 16 bytes: XxHash128 of format, options and builds
///           content_hash BLOB NOT NULL,  -- 16 bytes: XxHash128 of the file's bytes
///           document BLOB NOT NULL,      -- the ExtractedDocument, binary (see Serialize)
///           PRIMARY KEY (extractor, content_hash)) WITHOUT ROWID
/// </code>
/// <para>
/// WAL mode with a busy timeout, so several processes can share it; writes are <c>INSERT OR IGNORE</c>. An entry
/// that cannot be read back is a miss. One instance is safe to share between threads.
/// </para>
/// </remarks>
public sealed class ExtractionCache : IDisposable
{
    /// <summary>File name of the database inside the cache folder.</summary>
    public const string FileName = "extractions.sqlite";

    private const int SchemaVersion = 1;
    private const byte EntryFormat = 1;
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);
    private static readonly string Builds = string.Join(',',
        new[] { typeof(ExtractionCache), typeof(AngleSharp.BrowsingContext), typeof(UglyToad.PdfPig.PdfDocument) }
            .Select(t => t.Assembly.ManifestModule.ModuleVersionId.ToString("N")));

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private bool _disposed;

    private ExtractionCache(string path, SqliteConnection connection)
    {
        DatabasePath = path;
        _connection = connection;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string DatabasePath { get; }

    /// <summary>Opens (creating when needed) the cache in <paramref name="directory"/>.</summary>
    public static ExtractionCache Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string folder = Path.GetFullPath(directory);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};");
            Execute(connection, "PRAGMA journal_mode = WAL;");
            Execute(connection, "PRAGMA synchronous = NORMAL;");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS documents (
                    extractor BLOB NOT NULL,
                    content_hash BLOB NOT NULL,
                    document BLOB NOT NULL,
                    PRIMARY KEY (extractor, content_hash)) WITHOUT ROWID;
                """);
            using var version = connection.CreateCommand();
            version.CommandText = "PRAGMA user_version;";
            long found = (long)version.ExecuteScalar()!;
            if (found == 0) Execute(connection, $"PRAGMA user_version = {SchemaVersion};");
            else if (found != SchemaVersion)
                throw new InvalidDataException($"{path} has extraction cache schema {found}; this build reads schema {SchemaVersion}. Delete the file.");
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new ExtractionCache(path, connection);
    }

    /// <summary>
    /// The document extracted earlier from content <paramref name="contentHash"/> as <paramref name="format"/> with
    /// <paramref name="options"/>, named <paramref name="source"/>; null when there is none (or it cannot be read).
    /// </summary>
    public ExtractedDocument? Get(string contentHash, DocumentFormat format, LoaderOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        byte[] key = Convert.FromHexString(contentHash);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT document FROM documents WHERE extractor = $extractor AND content_hash = $hash;";
            command.Parameters.AddWithValue("$extractor", Extractor(format, options));
            command.Parameters.AddWithValue("$hash", key);
            if (command.ExecuteScalar() is not byte[] blob) return null;
            return Deserialize(blob, source);
        }
    }

    /// <summary>Stores <paramref name="document"/> as extracted with <paramref name="options"/> from content <paramref name="contentHash"/>.</summary>
    public void Put(string contentHash, LoaderOptions options, ExtractedDocument document)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(document);
        byte[] key = Convert.FromHexString(contentHash);
        byte[] blob = Serialize(document);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO documents (extractor, content_hash, document) VALUES ($extractor, $hash, $document);";
            command.Parameters.AddWithValue("$extractor", Extractor(document.Format, options));
            command.Parameters.AddWithValue("$hash", key);
            command.Parameters.AddWithValue("$document", blob);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Number of documents stored.</summary>
    public long Count()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM documents;";
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    /// <summary>The 16-byte extractor key: format, every option that changes the text, and the extracting code's builds.</summary>
    private static byte[] Extractor(DocumentFormat format, LoaderOptions options) =>
        XxHash128.Hash(Encoding.UTF8.GetBytes($"{format}\n{Builds}\n{string.Join('\n', options.HtmlDroppedSelectors)}"));

    internal static byte[] Serialize(ExtractedDocument document)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(EntryFormat);
            writer.Write((int)document.Format);
            writer.Write(document.Text);
            writer.Write(document.Title is not null);
            if (document.Title is not null) writer.Write(document.Title);
            writer.Write(document.Headings.Count);
            foreach (var h in document.Headings)
            {
                writer.Write(h.Level);
                writer.Write(h.Title);
                writer.Write(h.Start);
                writer.Write(h.End);
            }
            writer.Write(document.Pages.Count);
            foreach (var p in document.Pages)
            {
                writer.Write(p.Number);
                writer.Write(p.Start);
                writer.Write(p.End);
            }
            writer.Write(document.Warnings.Count);
            foreach (string w in document.Warnings) writer.Write(w);
        }
        return stream.ToArray();
    }

    /// <summary>The document in <paramref name="blob"/> named <paramref name="source"/>, or null when the blob is not one this build wrote.</summary>
    internal static ExtractedDocument? Deserialize(byte[] blob, string source)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(blob, writable: false), Encoding.UTF8);
            if (reader.ReadByte() != EntryFormat) return null;
            var format = (DocumentFormat)reader.ReadInt32();
            if (!Enum.IsDefined(format)) return null;
            string text = reader.ReadString();
            string? title = reader.ReadBoolean() ? reader.ReadString() : null;
            var headings = new DocumentHeading[Count(reader, blob.Length)];
            for (int i = 0; i < headings.Length; i++)
                headings[i] = new DocumentHeading(reader.ReadInt32(), reader.ReadString(), reader.ReadInt32(), reader.ReadInt32());
            var pages = new PageSpan[Count(reader, blob.Length)];
            for (int i = 0; i < pages.Length; i++) pages[i] = new PageSpan(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
            var warnings = new string[Count(reader, blob.Length)];
            for (int i = 0; i < warnings.Length; i++) warnings[i] = reader.ReadString();
            if (reader.BaseStream.Position != blob.Length) return null;
            return new ExtractedDocument(source, format, text, headings, pages, title, warnings);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException)
        {
            return null; // a damaged entry: extract the file again
        }
    }

    // A count can be no larger than the bytes left: a damaged length must not allocate gigabytes.
    private static int Count(BinaryReader reader, int blobLength)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > blobLength - reader.BaseStream.Position) throw new FormatException("bad count");
        return count;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
