using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Answering;

/// <summary>
/// Answers a question with a chat model (any <see cref="IChatClient"/>, such as <see cref="ChatEndpoint"/>'s) from an
/// <see cref="AnswerPrompt"/>'s numbered passages: streams the reply, then names the passages it cites
/// (<see cref="CitationList.FromReply"/>).
/// </summary>
/// <param name="client">The chat model.</param>
public sealed class ChatAnswerer(IChatClient client)
{
    private readonly IChatClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The reply's text as the model streams it, piece by piece.</summary>
    public async IAsyncEnumerable<string> StreamAsync(AnswerPrompt prompt, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        await foreach (var update in _client.GetStreamingResponseAsync(prompt.Messages, options: null, cancellationToken).ConfigureAwait(false))
        {
            if (update.Text is { Length: > 0 } text)
                yield return text;
        }
    }

    /// <summary>
    /// Streams the reply to <paramref name="onText"/> (when given) and returns it whole with its citations.
    /// </summary>
    public async Task<GeneratedAnswer> AnswerAsync(AnswerPrompt prompt, Func<string, CancellationToken, ValueTask>? onText = null, CancellationToken cancellationToken = default)
    {
        var reply = new StringBuilder();
        await foreach (string text in StreamAsync(prompt, cancellationToken).ConfigureAwait(false))
        {
            reply.Append(text);
            if (onText is not null) await onText(text, cancellationToken).ConfigureAwait(false);
        }
        string answer = reply.ToString();
        return new GeneratedAnswer(answer, CitationList.FromReply(answer, prompt));
    }
}

/// <summary>A chat model's answer and the passages it cites (or all that were sent, when it cites none).</summary>
/// <param name="Text">The reply.</param>
/// <param name="Citations">The citations.</param>
public sealed record GeneratedAnswer(string Text, CitationList Citations);
