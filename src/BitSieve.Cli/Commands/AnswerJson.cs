using System.Text.Json.Nodes;
using BitSieve.Ingest.Answering;

namespace BitSieve.Cli.Commands;

/// <summary>
/// The <c>answer</c> object of <c>bitsieve ask --json</c>: <c>{"kind":"extractive","text","sentences":[{"text","passage","matches":[[start,end]]}]}</c>
/// (text marked with <c>**…**</c>; matches are UTF-16 offsets into the sentence) or
/// <c>{"kind":"generated","text","cited_by_reply","citations":[{"number","source","headings"}]}</c>.
/// </summary>
internal static class AnswerJson
{
    public static JsonObject Extractive(ExtractiveAnswer answer) => new()
    {
        ["kind"] = "extractive",
        ["text"] = answer.Format(HighlightStyle.Markdown),
        ["sentences"] = new JsonArray(answer.Sentences.Select(s => (JsonNode)new JsonObject
        {
            ["text"] = s.Text,
            ["passage"] = s.Passage,
            ["matches"] = new JsonArray(s.Matches.Select(m =>
            {
                var (start, length) = m.GetOffsetAndLength(s.Text.Length);
                return (JsonNode)new JsonArray(start, start + length);
            }).ToArray()),
        }).ToArray()),
    };

    public static JsonObject Generated(GeneratedAnswer answer, AnswerPrompt prompt) => new()
    {
        ["kind"] = "generated",
        ["text"] = answer.Text,
        ["cited_by_reply"] = answer.Citations.CitedByReply,
        ["citations"] = new JsonArray(answer.Citations.Citations.Select(c => (JsonNode)new JsonObject
        {
            ["number"] = c.Number,
            ["source"] = c.Passage.Source,
            ["headings"] = new JsonArray(c.Passage.Headings.Select(h => (JsonNode)JsonValue.Create(h)).ToArray()),
        }).ToArray()),
        ["passages_sent"] = prompt.Passages.Count,
    };
}
