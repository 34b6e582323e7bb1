using System.Text;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Tests.Loading;

public class TextLoaderTests
{
    private static LoadResult LoadTxt(byte[] bytes) => DocumentLoader.Load(bytes, "a.txt", DocumentFormat.PlainText);

    [Fact]
    public void Utf8_with_and_without_bom_decodes_the_same()
    {
        string text = "Hello, 世界! 𠀋 ok";
        byte[] plain = Encoding.UTF8.GetBytes(text);
        byte[] bom = [0xEF, 0xBB, 0xBF, .. plain];
        Assert.Equal(text, LoadTxt(plain).Document!.Text);
        Assert.Equal(text, LoadTxt(bom).Document!.Text);
    }

    [Fact]
    public void Utf16_with_bom_decodes()
    {
        string text = "日本語のテキスト\nsecond line";
        byte[] le = [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)];
        byte[] be = [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(text)];
        Assert.Equal(text, LoadTxt(le).Document!.Text);
        Assert.Equal(text, LoadTxt(be).Document!.Text);
    }

    [Fact]
    public void Line_endings_are_normalized()
    {
        LoadResult r = LoadTxt(Encoding.UTF8.GetBytes("a\r\nb\rc\n"));
        Assert.Equal("a\nb\nc\n", r.Document!.Text);
    }

    [Fact]
    public void Empty_and_whitespace_only_files_are_skipped()
    {
        Assert.Equal(SkipKind.Empty, LoadTxt([]).Skip!.Kind);
        Assert.Equal(SkipKind.Empty, LoadTxt(Encoding.UTF8.GetBytes(" \n\t\r\n")).Skip!.Kind);
        Assert.Equal(SkipKind.Empty, LoadTxt([0xEF, 0xBB, 0xBF]).Skip!.Kind);
    }

    [Fact]
    public void Nul_bytes_mark_a_binary_file()
    {
        LoadResult r = LoadTxt([(byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00]);
        Assert.False(r.IsLoaded);
        Assert.Equal(SkipKind.Binary, r.Skip.Kind);
        Assert.Contains("offset 3", r.Skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_names_the_offset()
    {
        // "日本" in Shift_JIS after four ASCII bytes.
        byte[] sjis = [(byte)'a', (byte)'b', (byte)'c', (byte)' ', 0x93, 0xFA, 0x96, 0x7B];
        LoadResult r = LoadTxt(sjis);
        Assert.Equal(SkipKind.Undecodable, r.Skip!.Kind);
        Assert.Contains("byte offset 4", r.Skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_with_invalid_utf8_is_skipped_too()
    {
        LoadResult r = DocumentLoader.Load([(byte)'#', (byte)' ', 0xC3, 0x28], "a.md", DocumentFormat.Markdown);
        Assert.Equal(SkipKind.Undecodable, r.Skip!.Kind);
    }

    [Fact]
    public void Missing_files_and_directories_are_unreadable()
    {
        using var dir = new TempDirectory();
        LoadResult missing = DocumentLoader.LoadFile(Path.Combine(dir.Path, "nope.txt"), "nope.txt");
        Assert.Equal(SkipKind.Unreadable, missing.Skip!.Kind);
        Assert.Equal("nope.txt", missing.Source);

        Directory.CreateDirectory(Path.Combine(dir.Path, "folder.txt"));
        LoadResult folder = DocumentLoader.LoadFile(Path.Combine(dir.Path, "folder.txt"));
        Assert.Equal(SkipKind.Unreadable, folder.Skip!.Kind);
        Assert.Contains("directory", folder.Skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_read_permission_is_unreadable()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
            return; // root reads through permissions; the missing-file case above covers the path
        using var dir = new TempDirectory();
        string path = dir.Write("secret.txt", "hidden");
        File.SetUnixFileMode(path, UnixFileMode.None);
        Assert.Equal(SkipKind.Unreadable, DocumentLoader.LoadFile(path).Skip!.Kind);
    }

    [Fact]
    public void Unsupported_and_too_large_files_are_skipped()
    {
        using var dir = new TempDirectory();
        Assert.Equal(SkipKind.Unsupported, DocumentLoader.LoadFile(dir.Write("a.docx", "x")).Skip!.Kind);
        string big = dir.Write("big.txt", new string('x', 2000));
        Assert.Equal(SkipKind.TooLarge, DocumentLoader.LoadFile(big, options: new LoaderOptions { MaxFileBytes = 1000 }).Skip!.Kind);
        Assert.True(DocumentLoader.LoadFile(big).IsLoaded);
    }

    [Fact]
    public void Extensions_are_case_insensitive()
    {
        Assert.Equal(DocumentFormat.Html, DocumentLoader.FormatOf("A/B/Page.HTM"));
        Assert.Equal(DocumentFormat.Pdf, DocumentLoader.FormatOf("x.PDF"));
        Assert.Null(DocumentLoader.FormatOf("x.doc"));
        Assert.Null(DocumentLoader.FormatOf("README"));
    }
}
