using System.Net;
using System.Text;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>
/// Files added through <c>/v1</c> as <c>{"source","format","content_base64"}</c>: extracted by the loaders of
/// <c>bitsieve index</c>, and a bad one refused with a clear 400 or 413 before anything is stored.
/// </summary>
public sealed class V1FileDocumentsTests : IAsyncLifetime
{
    private ServerHost _host = null!;
    private string _cache = null!;

    public async Task InitializeAsync()
    {
        _cache = Path.Combine(Path.GetTempPath(), "bitsieve-v1-files-" + Guid.NewGuid().ToString("N"));
        _host = await ServerHost.StartAsync(new ServerOptions { EmbeddingCacheDirectory = _cache, MaxDocumentBytes = 16 << 10, MaxRequestBodyBytes = 64 << 10 });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private static readonly byte[] Pdf = SimplePdf.Make("Harbour opening hours",
        "The lighthouse museum opens at nine in the morning.", "It closes at dusk from October to March.");

    private static string File(string source, string format, byte[] content) =>
        JsonSerializer.Serialize(new { documents = new[] { new { source, format, content_base64 = Convert.ToBase64String(content) } } });

    private async Task AddAsync(string collection, string body)
    {
        var added = await _host.PostAsync($"/v1/collections/{collection}/documents", body);
        Assert.True(added.Status == HttpStatusCode.OK, added.Text);
    }

    private const string Notes = "# Garden notes\n\nWater the tomatoes every second day in summer.";

    [Fact]
    public async Task A_pdf_and_a_markdown_file_sent_as_base64_are_extracted_and_found()
    {
        var added = await _host.PostAsync("/v1/collections/files/documents", File("leaflets/harbour.pdf", "pdf", Pdf));
        Assert.True(added.Status == HttpStatusCode.OK, added.Text);
        Assert.True(added.Body.GetProperty("documents")[0].GetProperty("chunks").GetInt32() >= 1);
        await AddAsync("files", File("garden.md", "markdown", Encoding.UTF8.GetBytes(Notes)));

        var answer = await _host.PostAsync("/v1/collections/files/search", """{"query":"when does the lighthouse museum open?","k":2}""");
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Text);
        var top = answer.Body.GetProperty("results")[0];
        Assert.Equal("leaflets/harbour.pdf", top.GetProperty("source").GetString());
        Assert.Equal(1, top.GetProperty("page").GetInt32());
        Assert.Contains("opens at nine", top.GetProperty("text").GetString(), StringComparison.Ordinal);
        var list = (await _host.GetAsync("/v1/collections/files/documents")).Body.GetProperty("documents");
        Assert.Equal(["garden.md", "leaflets/harbour.pdf"], list.EnumerateArray().Select(d => d.GetProperty("source").GetString()));
    }

    [Theory]
    [InlineData("""{"source":"a.pdf","format":"pdf","content_base64":"not base64!"}""", HttpStatusCode.BadRequest, "`documents[1].content_base64` is not valid base64")]
    [InlineData("""{"source":"a.docx","format":"docx","content_base64":"AAAA"}""", HttpStatusCode.BadRequest, "unknown format `docx`, expected `text`, `markdown`, `html` or `pdf`")]
    [InlineData("""{"source":"a.pdf","format":"pdf","text":"%PDF-1.4"}""", HttpStatusCode.BadRequest, "a pdf is binary, send its bytes as `documents[1].content_base64`")]
    [InlineData("""{"source":"a.md","format":"markdown","text":"# A","content_base64":"IyBB"}""", HttpStatusCode.BadRequest, "are both given; send one")]
    [InlineData("""{"source":"a.md","format":"markdown"}""", HttpStatusCode.BadRequest, "missing field `documents[1].text` (or `documents[1].content_base64`")]
    [InlineData("""{"source":"a.pdf","format":"pdf","content_base64":"JVBERi0xLjQKJSVFT0YK"}""", HttpStatusCode.BadRequest, "the document \"a.pdf\" has no text to index")]
    public async Task A_bad_file_is_refused_and_the_collection_keeps_what_it_had(string second, HttpStatusCode status, string message)
    {
        await AddAsync("kept", File("garden.md", "markdown", Encoding.UTF8.GetBytes(Notes)));
        string before = (await _host.GetAsync("/v1/collections/kept/documents")).Text;

        // The good first document replaces garden.md with other text: refused with the bad second one, it must change nothing.
        string body = $$"""{"documents":[{"source":"garden.md","format":"text","text":"Something else entirely."},{{second}}]}""";
        (await _host.PostAsync("/v1/collections/kept/documents", body)).AssertError(status, message);
        Assert.Equal(before, (await _host.GetAsync("/v1/collections/kept/documents")).Text);
        var search = await _host.PostAsync("/v1/collections/kept/search", """{"query":"tomatoes","mode":"lexical","k":1}""");
        Assert.Contains("Water the tomatoes", search.Body.GetProperty("results")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_over_the_document_limit_is_413_and_nothing_is_created()
    {
        byte[] big = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("A line of a long text file. ", 1000)));   // 28 KB > 16 KiB
        (await _host.PostAsync("/v1/collections/big/documents", File("big.txt", "text", big)))
            .AssertError(HttpStatusCode.RequestEntityTooLarge, "`documents[0].content_base64` holds 28000 bytes, over this server's limit of 16384 bytes per document");
        Assert.False((await _host.GetAsync("/collections/big/exists")).Result.GetProperty("exists").GetBoolean());
    }

    [Fact]
    public async Task A_body_over_the_request_limit_is_413_and_nothing_is_created()
    {
        byte[] huge = new byte[60 << 10];   // 80 KiB of base64 > the 64 KiB body limit
        (await _host.PostAsync("/v1/collections/huge/documents", File("huge.pdf", "pdf", huge)))
            .AssertError(HttpStatusCode.RequestEntityTooLarge, "Payload too large: the request body is larger than this server's limit of 65536 bytes");
        Assert.False((await _host.GetAsync("/collections/huge/exists")).Result.GetProperty("exists").GetBoolean());
    }
}
