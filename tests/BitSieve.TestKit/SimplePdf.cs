using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace BitSieve.TestKit;

/// <summary>Small real PDFs for tests that upload files: one page, a title and lines of text in Helvetica.</summary>
public static class SimplePdf
{
    /// <summary>A one-page PDF with <paramref name="title"/> in large type and each line below it.</summary>
    public static byte[] Make(string title, params string[] lines)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(PageSize.A4);
        page.AddText(title, 16, new PdfPoint(50, 750), font);
        double y = 720;
        foreach (string line in lines)
        {
            page.AddText(line, 11, new PdfPoint(50, y), font);
            y -= 14;
        }
        return builder.Build();
    }
}
