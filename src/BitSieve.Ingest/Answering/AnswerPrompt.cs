using System.Globalization;
using System.Text;
using BitSieve.Ingest.Chunking;
using BitSieve.Text;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Answering;

/// <summary>
/// The chat prompt that asks a model to answer a question from numbered passages, fitted to a token budget.
/// </summary>
/// <remarks>
/// <para>Two messages. The system message is <see cref="Instructions"/>. The user message lists the passages, each as
/// a line <c>[n] source § heading &gt; heading</c> followed by its text and a blank line, then <c>Question: …</c>:</para>
/// <code>
/// Passages:
///
/// [1] guide/install.md § Install
/// Run `dotnet tool install -g bitsieve`.
///
/// Question: how do I install it?
/// </code>
/// <para>The budget (<see cref="AnswerPromptOptions.MaxPromptTokens"/>) counts both messages with
/// <see cref="AnswerPromptOptions.TokenCounter"/>. The instructions and the question always go in whole; passages go in
/// rank order while they fit. The first passage that does not fit whole is cut at a word (or, in CJK text, a
/// character) boundary and ends in <c>…</c>, if at least <see cref="AnswerPromptOptions.MinPassageTokens"/> of its
/// text fit; it and every passage after it are otherwise left out. The passages' numbers are their positions in the
/// prompt, which <see cref="CitationList"/> maps back.</para>
/// </remarks>
public sealed class AnswerPrompt
{
    /// <summary>The system message: answer from the passages only, cite them by number, say so when they do not answer.</summary>
    public const string Instructions =
        "Answer the question using only the numbered passages. After each sentence, cite the passages it relies on by " +
        "their numbers in square brackets, such as [1] or [2, 3]. If the passages do not contain the answer, say that " +
        "they do not. Answer in the language of the question.";

    private AnswerPrompt(string question, string user, IReadOnlyList<AnswerPassage> passages, int cutPassages, bool lastCut, int tokens)
    {
        Question = question;
        User = user;
        Passages = passages;
        PassagesLeftOut = cutPassages;
        LastPassageShortened = lastCut;
        Tokens = tokens;
    }

    /// <summary>The question, whole.</summary>
    public string Question { get; }

    /// <summary>The user message: the numbered passages, then the question.</summary>
    public string User { get; }

    /// <summary>The passages sent, as sent (the last one possibly shortened); passage n of the prompt is <c>Passages[n - 1]</c>.</summary>
    public IReadOnlyList<AnswerPassage> Passages { get; }

    /// <summary>How many of the given passages did not fit the budget at all.</summary>
    public int PassagesLeftOut { get; }

    /// <summary>Whether the last passage sent was shortened to fit.</summary>
    public bool LastPassageShortened { get; }

    /// <summary>The prompt's size in tokens, as the budget's counter counts them.</summary>
    public int Tokens { get; }

    /// <summary>The chat messages: <see cref="Instructions"/> as the system message, then <see cref="User"/>.</summary>
    public IReadOnlyList<ChatMessage> Messages => [new(ChatRole.System, Instructions), new(ChatRole.User, User)];

    /// <summary>
    /// Builds the prompt for <paramref name="question"/> from <paramref name="passages"/> (best first). Throws
    /// <see cref="ArgumentException"/> when the instructions and the question alone exceed the budget: the question is
    /// never cut.
    /// </summary>
    public static AnswerPrompt Build(string question, IReadOnlyList<AnswerPassage> passages, AnswerPromptOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        ArgumentNullException.ThrowIfNull(passages);
        options ??= new AnswerPromptOptions();
        options.Validate();
        Func<string, int> count = options.TokenCounter;

        const string Header = "Passages:\n\n";
        string tail = "Question: " + question.Trim();
        int used = count(Instructions) + count(Header) + count(tail);
        if (used > options.MaxPromptTokens)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The question is too long for the prompt budget: with the instructions it takes about {used} tokens, more than the {options.MaxPromptTokens} allowed."),
                nameof(question));
        }

        var sent = new List<AnswerPassage>(passages.Count);
        var user = new StringBuilder(Header);
        bool shortened = false;
        foreach (var passage in passages)
        {
            string label = string.Create(CultureInfo.InvariantCulture, $"[{sent.Count + 1}] {passage.Location}\n");
            string text = passage.Text.Trim();
            int fixedCost = count(label);
            int whole = fixedCost + count(text);
            if (used + whole <= options.MaxPromptTokens)
            {
                user.Append(label).Append(text).Append("\n\n");
                sent.Add(passage with { Text = text });
                used += whole;
                continue;
            }
            // The first passage that does not fit whole is shortened if enough of it fits to be worth reading; the
            // ones after it are left out, even if a shorter one would fit, so that the model sees passages in rank order.
            int room = options.MaxPromptTokens - used - fixedCost - count("…");
            if (room >= options.MinPassageTokens)
            {
                string cut = Prefix(text, room, count) + "…";
                user.Append(label).Append(cut).Append("\n\n");
                sent.Add(passage with { Text = cut });
                used += fixedCost + count(cut);
                shortened = true;
            }
            break;
        }
        user.Append(tail);
        return new AnswerPrompt(question.Trim(), user.ToString(), sent, passages.Count - sent.Count, shortened, used);
    }

    /// <summary>The longest prefix of <paramref name="text"/> of at most <paramref name="tokens"/> tokens that ends at a word boundary (or between CJK characters).</summary>
    private static string Prefix(string text, int tokens, Func<string, int> count)
    {
        // A longer prefix never counts fewer tokens, so the longest one that fits is found by bisection.
        int low = 0, high = text.Length;
        while (low < high)
        {
            int mid = (low + high + 1) / 2;
            if (count(text[..mid]) <= tokens) low = mid;
            else high = mid - 1;
        }
        int end = low;
        if (end < text.Length && char.IsLowSurrogate(text[end])) end--;
        // Back off to the last whitespace unless the cut falls between two CJK characters (no spaces there) or at one.
        if (end < text.Length && !char.IsWhiteSpace(text[end]) && !(end > 0 && ScriptDetector.IsCjk(text, end - 1, fromEnd: true)))
        {
            int space = text.LastIndexOfAny([' ', '\n', '\t', '\r'], Math.Max(0, end - 1));
            if (space > 0) end = space;
        }
        return text[..end].TrimEnd();
    }
}

/// <summary>The budget and counter of an <see cref="AnswerPrompt"/>.</summary>
public sealed class AnswerPromptOptions
{
    /// <summary>
    /// The most tokens the prompt (both messages) may take; default 3,000, which leaves room for a reply in a 4,096-token
    /// context. Raise it for models with a longer context.
    /// </summary>
    public int MaxPromptTokens { get; init; } = 3000;

    /// <summary>A passage is shortened to fit only if at least this many tokens of it fit (default 32); otherwise it is left out.</summary>
    public int MinPassageTokens { get; init; } = 32;

    /// <summary>
    /// Counts a text's tokens. The default, <see cref="ApproximateTokenCounter.Count"/>, estimates a WordPiece
    /// tokenizer's count; chat models' tokenizers make a similar number of tokens of English, and the default budget
    /// leaves a margin for the difference.
    /// </summary>
    public Func<string, int> TokenCounter { get; init; } = ApproximateTokenCounter.Count;

    internal void Validate()
    {
        if (MaxPromptTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxPromptTokens), MaxPromptTokens, "The prompt budget must be positive.");
        if (MinPassageTokens < 1) throw new ArgumentOutOfRangeException(nameof(MinPassageTokens), MinPassageTokens, "The shortest passage must be positive.");
        ArgumentNullException.ThrowIfNull(TokenCounter);
    }
}
