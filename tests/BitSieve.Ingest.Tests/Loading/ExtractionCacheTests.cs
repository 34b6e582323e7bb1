using System.Text;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Scanning;
using Microsoft.Data.Sqlite;

namespace BitSieve.Ingest.Tests.Loading;

public sealed class ExtractionCacheTests : IDisposable
{
    private const string Html = """
        <html><head><title>Guide</title></head><body>
        <h1>Install</h1><p>Run the installer.</p>
        <h2>Upgrade</h2><p>東京で。Run it again.</p>
        <nav>skip</nav>
        </body></html>
        """;

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static (ExtractedDocument Document, string Hash) Extract(string html, LoaderOptions? options = null)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(html);
        return (DocumentLoader.Load(bytes, "a.html", DocumentFormat.Html, options).Document!, FolderScanner.HashBytes(bytes));
    }

    [Fact]
    public void A_stored_document_comes_back_whole_under_the_name_asked_for()
    {
        var (document, hash) = Extract(Html);
        using var cache = ExtractionCache.Open(_folder.Path);
        Assert.Null(cache.Get(hash, DocumentFormat.Html, LoaderOptions.Default, "a.html"));

        cache.Put(hash, LoaderOptions.Default, document);
        cache.Put(hash, LoaderOptions.Default, document); // stored once

        var found = cache.Get(hash, DocumentFormat.Html, LoaderOptions.Default, "moved/b.html");
        Assert.NotNull(found);
        Assert.Equal("moved/b.html", found.Source);
        Assert.Equal(document.Format, found.Format);
        Assert.Equal(document.Text, found.Text);
        Assert.Equal(document.Title, found.Title);
        Assert.Equal(document.Headings, found.Headings);
        Assert.Equal(document.Pages, found.Pages);
        Assert.Equal(document.Warnings, found.Warnings);
        Assert.Equal(1, cache.Count());
    }

    [Fact]
    public void Pages_warnings_and_a_missing_title_survive_the_round_trip()
    {
        var document = new ExtractedDocument("p.pdf", DocumentFormat.Pdf, "page one\n\npage two",
            [new DocumentHeading(1, "One", 0, 8)], [new PageSpan(1, 0, 8), new PageSpan(2, 10, 18)], null, ["page 3 has no text"]);
        var copy = ExtractionCache.Deserialize(ExtractionCache.Serialize(document), "q.pdf");
        Assert.NotNull(copy);
        Assert.Null(copy.Title);
        Assert.Equal(document.Headings, copy.Headings);
        Assert.Equal(document.Pages, copy.Pages);
        Assert.Equal(document.Warnings, copy.Warnings);
    }

    [Fact]
    public void Another_format_other_options_or_other_content_miss()
    {
        var (document, hash) = Extract(Html);
        using var cache = ExtractionCache.Open(_folder.Path);
        cache.Put(hash, LoaderOptions.Default, document);

        Assert.Null(cache.Get(hash, DocumentFormat.PlainText, LoaderOptions.Default, "a.txt"));
        var keepNav = LoaderOptions.Default with { HtmlDroppedSelectors = ["script", "style"] };
        Assert.Null(cache.Get(hash, DocumentFormat.Html, keepNav, "a.html"));
        Assert.Null(cache.Get(FolderScanner.HashBytes("other"u8), DocumentFormat.Html, LoaderOptions.Default, "a.html"));

        // Other options are a separate entry, with their own text.
        var (withNav, _) = Extract(Html, keepNav);
        cache.Put(hash, keepNav, withNav);
        Assert.Contains("skip", cache.Get(hash, DocumentFormat.Html, keepNav, "a.html")!.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("skip", cache.Get(hash, DocumentFormat.Html, LoaderOptions.Default, "a.html")!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_instances_on_one_folder_share_entries()
    {
        var (document, hash) = Extract(Html);
        using var writer = ExtractionCache.Open(_folder.Path);
        using var reader = ExtractionCache.Open(_folder.Path);
        writer.Put(hash, LoaderOptions.Default, document);
        Assert.Equal(document.Text, reader.Get(hash, DocumentFormat.Html, LoaderOptions.Default, "a.html")?.Text);
    }

    [Fact]
    public void A_damaged_entry_is_a_miss_not_an_error()
    {
        var (document, hash) = Extract(Html);
        using (var cache = ExtractionCache.Open(_folder.Path)) cache.Put(hash, LoaderOptions.Default, document);

        byte[] blob = ExtractionCache.Serialize(document);
        byte[][] damaged =
        [
            blob[..(blob.Length / 2)],                                      // truncated
            [.. blob, 0],                                                   // trailing garbage
            [2, .. blob[1..]],                                              // an entry format this build does not write
            [1, 2, 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c', 0, 0xFF, 0xFF, 0xFF, 0x7F], // a heading count of 2^31 − 1
            [],
        ];
        foreach (byte[] bad in damaged)
        {
            Assert.Null(ExtractionCache.Deserialize(bad, "a.html"));
            Overwrite(bad);
            using var cache = ExtractionCache.Open(_folder.Path);
            Assert.Null(cache.Get(hash, DocumentFormat.Html, LoaderOptions.Default, "a.html"));
        }
    }

    [Fact]
    public void A_cache_of_another_schema_is_refused_with_a_clear_error()
    {
        using (var cache = ExtractionCache.Open(_folder.Path))
        {
        }
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_folder.Path, ExtractionCache.FileName)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 7;";
            command.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidDataException>(() => ExtractionCache.Open(_folder.Path));
        Assert.Contains("schema 7", e.Message, StringComparison.Ordinal);
    }

    private void Overwrite(byte[] blob)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder.Path, ExtractionCache.FileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE documents SET document = $blob;";
        command.Parameters.AddWithValue("$blob", blob);
        Assert.Equal(1, command.ExecuteNonQuery());
    }
}
