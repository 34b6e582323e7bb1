using System.Text;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Tests.Loading;

public class HtmlLoaderTests
{
    private static LoadResult Load(string html) => DocumentLoader.Load(Encoding.UTF8.GetBytes(html), "page.html", DocumentFormat.Html);

    [Fact]
    public void Visible_text_with_headings_and_entities()
    {
        const string html = """
            <!DOCTYPE html>
            <html><head><title> The   Title </title><style>p { color: red }</style><script>var x = "<p>no</p>";</script></head>
            <body>
              <nav><a href="/">Home</a> | <a href="/x">Other</a></nav>
              <h1>Caf&eacute; &amp; Bar</h1>
              <p>First   paragraph
                 spans lines.</p>
              <p>Tom &lt;3 Jerry&nbsp;&#x6771;&#20140;</p>
              <h2>Second <em>part</em></h2>
              <ul><li>one</li><li>two</li></ul>
              <pre>  code
                indented</pre>
              <div role="navigation">skip me</div>
              <noscript>enable js</noscript>
            </body></html>
            """;
        ExtractedDocument doc = Load(html).Document!;
        Assert.Equal("The Title", doc.Title);
        Assert.Equal(
            "Café & Bar\n\nFirst paragraph spans lines.\n\nTom <3 Jerry 東京\n\nSecond part\n\none\ntwo\n\n  code\n    indented",
            doc.Text.Replace("\n                ", "\n    ", StringComparison.Ordinal));
        Assert.Equal(["Café & Bar", "Second part"], doc.Headings.Select(h => h.Title));
        Assert.Equal([1, 2], doc.Headings.Select(h => h.Level));
        foreach (DocumentHeading h in doc.Headings)
            Assert.Equal(h.Title, doc.Text[h.Start..h.End]);
        Assert.DoesNotContain("Home", doc.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("skip me", doc.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("color", doc.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void DocBook_navigation_and_table_of_contents_are_dropped()
    {
        const string html = """
            <html><body>
            <div class="navheader"><table><tr><th>Chapter 3. Init</th></tr></table></div>
            <div class="chapter"><h1 class="title"><a id="x"/>Chapter 3. Init</h1>
            <div class="toc"><p><strong>Table of Contents</strong></p><dl><dt>3.1. Boot</dt></dl></div>
            <div class="section"><h2 class="title">3.1. Boot</h2><p>Text about booting.</p>
            <table><tr><td>grub</td><td>boot loader</td></tr><tr><td>lilo</td><td>old</td></tr></table><br class="table-break"/>
            <p>After.</p></div></div>
            <div class="navfooter">Prev Next</div>
            </body></html>
            """;
        ExtractedDocument doc = Load(html).Document!;
        Assert.Equal("Chapter 3. Init\n\n3.1. Boot\n\nText about booting.\n\ngrub boot loader\nlilo old\n\nAfter.", doc.Text);
        Assert.Equal(["Chapter 3. Init", "3.1. Boot"], doc.Headings.Select(h => h.Title));
    }

    [Fact]
    public void Malformed_markup_is_recovered()
    {
        const string html = "<html><body><h1>Broken <b>heading</h1><p>unclosed <i>para<div>block</span></td></tr> text &bogus; &amp</p></p></html></html><p>trailing";
        LoadResult r = Load(html);
        Assert.True(r.IsLoaded);
        Assert.Equal("Broken heading", r.Document.Headings[0].Title);
        Assert.Contains("unclosed para", r.Document.Text, StringComparison.Ordinal);
        Assert.Contains("block", r.Document.Text, StringComparison.Ordinal);
        Assert.Contains("&bogus; &", r.Document.Text, StringComparison.Ordinal);
        Assert.EndsWith("trailing", r.Document.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_does_not_overflow_the_stack()
    {
        // The walk is iterative; the depth is kept moderate because the parser itself slows quadratically with it.
        string html = "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 2_000)) + "deep" + "</body></html>";
        Assert.Equal("deep", Load(html).Document!.Text);
    }

    [Fact]
    public void Html_without_visible_text_is_empty()
    {
        Assert.Equal(SkipKind.Empty, Load("<html><head><title>t</title></head><body><script>x()</script>  </body></html>").Skip!.Kind);
        Assert.Equal(SkipKind.Empty, Load("<!-- only a comment -->").Skip!.Kind);
    }

    [Fact]
    public void A_legacy_charset_is_named_in_the_reason()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("<html><head><meta charset=\"Shift_JIS\"></head><body>"), 0x93, 0xFA, 0x96, 0x7B];
        LoadResult r = DocumentLoader.Load(bytes, "sjis.html", DocumentFormat.Html);
        Assert.Equal(SkipKind.Undecodable, r.Skip!.Kind);
        Assert.Contains("Shift_JIS", r.Skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_content_with_an_html_extension_is_skipped()
    {
        Assert.Equal(SkipKind.Binary, DocumentLoader.Load([0x89, (byte)'P', (byte)'N', (byte)'G', 0, 0], "x.html", DocumentFormat.Html).Skip!.Kind);
    }

    [Fact]
    public void Line_breaks_collapse_to_at_most_a_blank_line()
    {
        ExtractedDocument doc = Load("<body><p>a<br>b<br><br>c<br><br><br><br>d</p></body>").Document!;
        Assert.Equal("a\nb\n\nc\n\nd", doc.Text);
    }
}
