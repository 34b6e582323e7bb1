using System.Text;
using System.Text.Json;
using BitSieve.Ingest.Answering;
using BitSieve.Server.Http;
using BitSieve.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace BitSieve.Server.V1;

// POST /v1/collections/{collection}/ask: the passages for a question and an answer from them, a chat model's
// (bitsieve serve --llm) or the extractive one; as one JSON answer or as server-sent events.
public static partial class V1Api
{
    private static void MapAsk(RouteGroupBuilder v1) =>
        v1.MapPost("/collections/{collection}/ask", Ask).WithSummary("Answer a question from the collection's passages, with citations")
            .WithMetadata(new RequestBody(typeof(Requests.AskRequest)))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status502BadGateway, typeof(ErrorResponse), ["application/json"]))
            .WithDescription(
                "Finds the passages as `/search` does (`limit` of them, default 5, at most 50; `mode`, `quality`, `filter` as there), then answers: with " +
                "`bitsieve serve --llm URL` a chat model's answer from the numbered passages, ending with the passages it cites (`kind: generated`); " +
                "without, the sentences of the top passages that best match the question, matched words in `**…**` (`kind: extractive`). " +
                "`\"stream\": true` (or `Accept: text/event-stream`) answers with server-sent events: `passages` (the question, mode, model and passages), " +
                "`delta` (`{\"text\"}`, a piece of the answer; one for an extractive answer), then `answer` (the whole answer object) or `error` " +
                "(`{\"status\":{\"error\"}}`). A chat endpoint that cannot be reached or refuses is a 502.")
            .WithMetadata(new ApiExample("""{"question":"how do I install it?","limit":3}""",
                """{"question":"how do I install it?","mode":"hybrid","model":"minilm","answer":{"kind":"extractive","text":"Run `dotnet tool **install** -g bitsieve`. [1]","chat_model":null,"sentences":[{"text":"Run `dotnet tool install -g bitsieve`.","passage":1,"matches":[[17,24]]}],"citations":[{"number":1,"source":"guide/install.md","headings":["Install"]}],"cited_by_reply":null},"passages":[{"id":"0b6f3c2e-5d1a-4f7e-9c3b-2a8d4e6f1b7c","score":0.0325,"source":"guide/install.md","start":0,"end":52,"page":null,"headings":["Install"],"text":"# Install\n\nRun `dotnet tool install -g bitsieve`."}]}"""));

    private static async Task<Results<Ok<AskResponse>, EmptyHttpResult>> Ask(string collection, HttpRequest request, IDatabase db, Embedders embedders,
        ServerOptions options, ServerMetrics metrics, ChatModel chat)
    {
        var target = await GetAsync(db, collection).ConfigureAwait(false);
        using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
        var ask = AskRequest.Parse(body.RootElement);
        bool stream = ask.Stream || request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
        var cancellationToken = request.HttpContext.RequestAborted;
        var (result, model) = await FindAsync(db, target, ask.Question, ask.Limit, ask.Mode, ask.Quality, ask.Filter, embedders, options, metrics, "this question",
            cancellationToken).ConfigureAwait(false);
        var found = new AskFound(ask.Question, ask.Mode.ToString().ToLowerInvariant(), model, result.Hits.Select(Passage.From).ToList());
        var passages = result.Hits.Select(AnswerPassage.FromHit).ToList();

        if (chat.Endpoint is null)
        {
            var answer = AnswerResult.Extractive(ExtractiveAnswerer.Answer(ask.Question, passages), passages);
            if (!stream) return TypedResults.Ok(found.With(answer));
            var events = await ServerSentEvents.StartAsync(request.HttpContext).ConfigureAwait(false);
            await events.SendAsync("passages", found, cancellationToken).ConfigureAwait(false);
            await events.SendAsync("delta", new AnswerDelta(answer.Text), cancellationToken).ConfigureAwait(false);
            await events.SendAsync("answer", answer, cancellationToken).ConfigureAwait(false);
            return TypedResults.Empty;
        }

        AnswerPrompt prompt;
        try
        {
            prompt = AnswerPrompt.Build(ask.Question, passages, new AnswerPromptOptions { MaxPromptTokens = options.LlmPromptTokens });
        }
        catch (ArgumentException e)
        {
            throw ApiException.WrongInput(e.Message);
        }
        // The first piece is awaited before the answer starts, so that an endpoint that cannot be reached or refuses is a
        // 502 in the error shape, not a stream that breaks off.
        var client = await Connect(chat.Endpoint, cancellationToken).ConfigureAwait(false);
        // The model the client was made for: the one asked for, or the first the endpoint listed.
        string chatModel = client.GetService<ChatClientMetadata>()?.DefaultModelId ?? chat.Endpoint.Model ?? "";
        var pieces = new ChatAnswerer(client).StreamAsync(prompt, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (pieces.ConfigureAwait(false))
        {
            bool more = await NextPiece(pieces).ConfigureAwait(false);
            var reply = new StringBuilder();
            if (!stream)
            {
                for (; more; more = await NextPiece(pieces).ConfigureAwait(false)) reply.Append(pieces.Current);
                return TypedResults.Ok(found.With(AnswerResult.Generated(reply.ToString(), prompt, chatModel)));
            }
            var events = await ServerSentEvents.StartAsync(request.HttpContext).ConfigureAwait(false);
            await events.SendAsync("passages", found, cancellationToken).ConfigureAwait(false);
            try
            {
                for (; more; more = await NextPiece(pieces).ConfigureAwait(false))
                {
                    reply.Append(pieces.Current);
                    await events.SendAsync("delta", new AnswerDelta(pieces.Current), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (ApiException e)
            {
                await events.SendAsync("error", new ErrorResponse(new ErrorStatus(e.Message), RequestTiming.Seconds(request.HttpContext)), cancellationToken).ConfigureAwait(false);
                return TypedResults.Empty;
            }
            await events.SendAsync("answer", AnswerResult.Generated(reply.ToString(), prompt, chatModel), cancellationToken).ConfigureAwait(false);
            return TypedResults.Empty;
        }
    }

    private static async Task<IChatClient> Connect(ChatEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            return await endpoint.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AnswerServiceException e)
        {
            throw BadGateway(e);
        }
    }

    private static async ValueTask<bool> NextPiece(IAsyncEnumerator<string> pieces)
    {
        try
        {
            return await pieces.MoveNextAsync().ConfigureAwait(false);
        }
        catch (AnswerServiceException e)
        {
            throw BadGateway(e);
        }
    }

    private static ApiException BadGateway(AnswerServiceException e) => new(StatusCodes.Status502BadGateway, $"Bad gateway: {e.Message}");
}

/// <summary>Writes server-sent events: <c>event: NAME</c>, <c>data: JSON</c> (one line), a blank line; each flushed as it is written.</summary>
internal sealed class ServerSentEvents
{
    private readonly HttpResponse _response;

    private ServerSentEvents(HttpResponse response) => _response = response;

    /// <summary>Starts the answer: status 200, <c>text/event-stream</c>, no caching.</summary>
    public static async Task<ServerSentEvents> StartAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        return new ServerSentEvents(response);
    }

    public async Task SendAsync<T>(string name, T data, CancellationToken cancellationToken)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(data, ServerJsonContext.WireOptions.GetTypeInfo(typeof(T)));
        await _response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {name}\ndata: "), cancellationToken).ConfigureAwait(false);
        await _response.Body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await _response.Body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
