using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using BitSieve.Ingest.Documents;

namespace BitSieve.Ingest.Loading;

/// <summary>
/// <c>.html</c>/<c>.htm</c>: the visible text of the body as a browser's "copy all" would give it. Whitespace is
/// collapsed except in <c>&lt;pre&gt;</c>; block elements end in a blank line, list items, table rows and
/// <c>&lt;br&gt;</c> in a line break, table cells in a space. <c>h1</c>–<c>h6</c> become headings. Entities are decoded
/// by the parser; the elements named by <see cref="LoaderOptions.HtmlDroppedSelectors"/> are dropped. The HTML5 parser
/// recovers from any malformed markup the way browsers do.
/// </summary>
internal static partial class HtmlLoader
{
    private static readonly HashSet<string> ParagraphBlocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset", "figcaption",
        "figure", "footer", "form", "header", "hr", "main", "ol", "p", "pre", "section", "summary", "table", "ul",
        "h1", "h2", "h3", "h4", "h5", "h6", "center", "listing", "xmp", "textarea",
    };

    private static readonly HashSet<string> LineBlocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "li", "dt", "dd", "tr", "caption", "thead", "tbody", "tfoot", "option", "legend",
    };

    public static LoadResult Load(byte[] content, string source, LoaderOptions options)
    {
        string? text = TextDecoding.Decode(content, out SkipReason? problem, SniffCharset(content));
        if (text is null)
            return LoadResult.Skipped(source, problem!.Kind, problem.Message);

        var parser = new HtmlParser();
        using IDocument dom = parser.ParseDocument(text);
        if (options.HtmlDroppedSelectors.Count > 0)
        {
            foreach (IElement e in dom.QuerySelectorAll(string.Join(", ", options.HtmlDroppedSelectors)).ToList())
                e.Remove();
        }

        var builder = new VisibleTextBuilder();
        if (dom.Body is { } body)
            builder.Walk(body);
        string extracted = builder.ToString();
        if (string.IsNullOrWhiteSpace(extracted))
            return LoadResult.Skipped(source, SkipKind.Empty, "the HTML has no visible text in its body");

        string? title = string.IsNullOrWhiteSpace(dom.Title) ? null : CollapseWhitespace(dom.Title);
        return LoadResult.Loaded(new ExtractedDocument(source, DocumentFormat.Html, extracted, builder.Headings, title: title));
    }

    /// <summary>The charset a <c>&lt;meta&gt;</c> in the first 1024 bytes declares, for the error message only.</summary>
    private static string? SniffCharset(byte[] content)
    {
        string head = Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 1024));
        Match m = CharsetRegex().Match(head);
        return m.Success ? m.Groups[1].Value : null;
    }

    [GeneratedRegex("""charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex CharsetRegex();

    private static string CollapseWhitespace(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private enum Break
    {
        None,
        Space,
        Line,
        Paragraph,
    }

    /// <summary>Walks the DOM without recursion (malformed pages can nest thousands deep) and writes visible text.</summary>
    private sealed class VisibleTextBuilder
    {
        private readonly StringBuilder _text = new();
        private Break _pending;
        private int _preDepth;
        private int _headingDepth;
        private int _headingLevel;
        private int _headingStart = -1;

        public List<DocumentHeading> Headings { get; } = [];

        public override string ToString() => _text.ToString();

        public void Walk(INode root)
        {
            var stack = new Stack<(INode Node, bool Exit)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                (INode node, bool exit) = stack.Pop();
                if (node is IElement element)
                {
                    if (exit)
                    {
                        Leave(element);
                        continue;
                    }
                    Enter(element);
                    stack.Push((element, true));
                    for (INode? child = element.LastChild; child is not null; child = child.PreviousSibling)
                        stack.Push((child, false));
                }
                else if (node is IText textNode)
                {
                    if (_preDepth > 0)
                        AppendPreformatted(textNode.Data);
                    else
                        AppendCollapsed(textNode.Data);
                }
            }
        }

        private void Enter(IElement e)
        {
            string name = e.LocalName;
            if (HeadingLevel(name) is int level and > 0)
            {
                Request(Break.Paragraph);
                if (_headingDepth++ == 0)
                {
                    _headingLevel = level;
                    _headingStart = -1;
                }
            }
            else if (ParagraphBlocks.Contains(name))
                Request(Break.Paragraph);
            else if (LineBlocks.Contains(name))
                Request(Break.Line);
            else if (name is "td" or "th")
                Request(Break.Space);
            else if (name == "br")
                ForceLineBreak();

            if (name is "pre" or "textarea" or "listing" or "xmp")
                _preDepth++;
        }

        private void Leave(IElement e)
        {
            string name = e.LocalName;
            if (name is "pre" or "textarea" or "listing" or "xmp")
                _preDepth--;

            if (HeadingLevel(name) > 0)
            {
                if (--_headingDepth == 0 && _headingStart >= 0)
                {
                    int end = _text.Length;
                    while (end > _headingStart && char.IsWhiteSpace(_text[end - 1]))
                        end--;
                    string title = CollapseWhitespace(_text.ToString(_headingStart, end - _headingStart));
                    if (title.Length > 0)
                        Headings.Add(new DocumentHeading(_headingLevel, title, _headingStart, end));
                }
                Request(Break.Paragraph);
            }
            else if (ParagraphBlocks.Contains(name))
                Request(Break.Paragraph);
            else if (LineBlocks.Contains(name))
                Request(Break.Line);
            else if (name is "td" or "th")
                Request(Break.Space);
        }

        private static int HeadingLevel(string name) =>
            name.Length == 2 && (name[0] is 'h' or 'H') && name[1] is >= '1' and <= '6' ? name[1] - '0' : 0;

        private void Request(Break b)
        {
            if (b > _pending)
                _pending = b;
        }

        private void ForceLineBreak()
        {
            // A second <br> in a row makes a blank line; more add nothing (nor does a <br> after a block).
            _pending = _pending == Break.Line ? Break.Paragraph : (Break)Math.Max((int)_pending, (int)Break.Line);
        }

        private void Flush()
        {
            if (_text.Length > 0)
            {
                switch (_pending)
                {
                    case Break.Space:
                        _text.Append(' ');
                        break;
                    case Break.Line:
                        AppendNewlines(1);
                        break;
                    case Break.Paragraph:
                        AppendNewlines(2);
                        break;
                }
            }
            _pending = Break.None;
            if (_headingDepth > 0 && _headingStart < 0)
                _headingStart = _text.Length;
        }

        /// <summary>Ends the text with <paramref name="count"/> newlines, counting those preformatted text left there.</summary>
        private void AppendNewlines(int count)
        {
            int have = 0;
            while (have < count && have < _text.Length && _text[_text.Length - 1 - have] == '\n')
                have++;
            _text.Append('\n', count - have);
        }

        private void AppendCollapsed(string data)
        {
            foreach (char c in data)
            {
                if (char.IsWhiteSpace(c))
                {
                    Request(Break.Space);
                    continue;
                }
                if (_pending != Break.None || (_headingDepth > 0 && _headingStart < 0))
                    Flush();
                _text.Append(c);
            }
        }

        private void AppendPreformatted(string data)
        {
            data = TextDecoding.NormalizeLineEndings(data);
            if (data.Length == 0)
                return;
            if (_pending != Break.None || (_headingDepth > 0 && _headingStart < 0))
            {
                // The parser already drops the newline right after <pre>; a blank line separates it from what came before.
                if (_text.Length == 0)
                    data = data.TrimStart('\n');
                Flush();
            }
            _text.Append(data);
        }
    }
}
