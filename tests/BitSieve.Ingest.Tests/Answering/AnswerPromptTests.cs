using BitSieve.Ingest.Answering;
using BitSieve.Ingest.Chunking;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Tests.Answering;

public sealed class AnswerPromptTests
{
    private static AnswerPassage Passage(string source, string text, params string[] headings) => new(source, headings, text, 1f);

    private static readonly string LongText = string.Join(" ", Enumerable.Range(0, 400).Select(i => $"word{i}"));

    [Fact]
    public void The_prompt_numbers_the_passages_with_their_source_and_headings_and_ends_with_the_question()
    {
        var prompt = AnswerPrompt.Build("How do I install it?", [Passage("guide/install.md", "Run dotnet tool install.", "Guide", "Install"), Passage("notes.txt", "Nothing here.")]);
        Assert.Equal(
            "Passages:\n\n[1] guide/install.md § Guide > Install\nRun dotnet tool install.\n\n[2] notes.txt\nNothing here.\n\nQuestion: How do I install it?",
            prompt.User);
        Assert.Equal([ChatRole.System, ChatRole.User], prompt.Messages.Select(m => m.Role));
        Assert.Equal(AnswerPrompt.Instructions, prompt.Messages[0].Text);
        Assert.Equal(2, prompt.Passages.Count);
        Assert.Equal(0, prompt.PassagesLeftOut);
        Assert.False(prompt.LastPassageShortened);
    }

    [Fact]
    public void The_budget_cuts_passages_in_rank_order_and_keeps_the_question_whole()
    {
        string question = "Which of the many configuration settings decides where the server writes its log files on disk?";
        var passages = Enumerable.Range(1, 6).Select(i => Passage($"doc{i}.md", LongText)).ToList();
        int budget = 1000;
        var prompt = AnswerPrompt.Build(question, passages, new AnswerPromptOptions { MaxPromptTokens = budget });

        Assert.EndsWith("Question: " + question, prompt.User, StringComparison.Ordinal);
        Assert.True(prompt.Passages.Count is > 0 and < 6, $"{prompt.Passages.Count} passages sent");
        Assert.Equal(6, prompt.Passages.Count + prompt.PassagesLeftOut);
        Assert.Equal(passages.Take(prompt.Passages.Count).Select(p => p.Source), prompt.Passages.Select(p => p.Source));
        Assert.True(prompt.LastPassageShortened);
        Assert.EndsWith("…", prompt.Passages[^1].Text, StringComparison.Ordinal);
        Assert.StartsWith(prompt.Passages[^1].Text[..^1], LongText, StringComparison.Ordinal);
        // The whole prompt fits, as counted by the budget's counter.
        int counted = ApproximateTokenCounter.Count(AnswerPrompt.Instructions) + ApproximateTokenCounter.Count(prompt.User);
        Assert.True(counted <= budget, $"{counted} tokens > {budget}");
        Assert.True(prompt.Tokens <= budget);
    }

    [Fact]
    public void A_question_that_does_not_fit_the_budget_is_refused_not_cut()
    {
        string question = string.Join(" ", Enumerable.Repeat("why", 200));
        var e = Assert.Throws<ArgumentException>(() => AnswerPrompt.Build(question, [Passage("a.md", "text")], new AnswerPromptOptions { MaxPromptTokens = 150 }));
        Assert.Contains("question is too long", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Japanese_passages_are_cut_between_characters()
    {
        string text = string.Concat(Enumerable.Repeat("証明書の有効期限を確認します。", 100));
        var prompt = AnswerPrompt.Build("証明書の期限は？", [Passage("ja.md", text)], new AnswerPromptOptions { MaxPromptTokens = 300 });
        Assert.Single(prompt.Passages);
        Assert.True(prompt.LastPassageShortened);
        string sent = prompt.Passages[0].Text;
        Assert.StartsWith(sent[..^1], text, StringComparison.Ordinal);
        Assert.True(sent.Length > 100, $"only {sent.Length} characters kept");
    }

    [Fact]
    public void Citations_are_the_passages_the_reply_cites_or_all_sent_when_it_cites_none()
    {
        var prompt = AnswerPrompt.Build("q?", [Passage("a.md", "A.", "H"), Passage("b.md", "B."), Passage("c.md", "C.")]);
        var cited = CitationList.FromReply("It is A [1]. Also C [3, 1] and not [9]. 全角も［2］", prompt);
        Assert.True(cited.CitedByReply);
        Assert.Equal(["[1] a.md § H", "[2] b.md", "[3] c.md"], cited.Citations.Select(c => c.ToString()));
        var only = CitationList.FromReply("Just [3].", prompt);
        Assert.Equal([3], only.Citations.Select(c => c.Number));
        var none = CitationList.FromReply("I do not know.", prompt);
        Assert.False(none.CitedByReply);
        Assert.Equal([1, 2, 3], none.Citations.Select(c => c.Number));
    }
}
