using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace BitSieve.TestKit;

/// <summary>
/// A small OpenAI-compatible chat server on a free loopback port, for the answerers' tests (no model can be loaded
/// here): <c>GET /v1/models</c> lists <see cref="Model"/>; <c>POST /v1/chat/completions</c> records the request and
/// answers with <see cref="ReplyPieces"/> — as chat-completion chunks over server-sent events when the request says
/// <c>"stream": true</c>, else one <c>chat.completion</c>. A request for another model is a 404 in Ollama's words
/// (<c>model "x" not found</c>); a body without <c>messages</c> is a 400. With <see cref="HoldAfterFirstPiece"/>, a
/// stream stops after its first piece until the test completes that task, so a test can see the reply arrive
/// piece by piece.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<JsonElement> _requests = new();

    private FakeChatServer(string model, IReadOnlyList<string> replyPieces, TaskCompletionSource? holdAfterFirstPiece)
    {
        Model = model;
        ReplyPieces = replyPieces;
        HoldAfterFirstPiece = holdAfterFirstPiece;
        int port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{port}/v1");
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The base URL, <c>http://127.0.0.1:PORT/v1</c>.</summary>
    public Uri Url { get; }

    /// <summary>The one model served.</summary>
    public string Model { get; }

    /// <summary>The reply, in the pieces it is streamed in.</summary>
    public IReadOnlyList<string> ReplyPieces { get; }

    /// <summary>When set, a stream waits for this task after its first piece.</summary>
    public TaskCompletionSource? HoldAfterFirstPiece { get; }

    /// <summary>The chat requests' bodies, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Requests => _requests.ToArray();

    /// <summary>The <c>Authorization</c> header of the last chat request (null without one).</summary>
    public string? LastAuthorization { get; private set; }

    /// <summary>Starts a server that replies with <paramref name="replyPieces"/>.</summary>
    public static FakeChatServer Start(IReadOnlyList<string> replyPieces, string model = "test-model", TaskCompletionSource? holdAfterFirstPiece = null) =>
        new(model, replyPieces, holdAfterFirstPiece);

    /// <summary>A loopback URL where nothing listens (a port just freed).</summary>
    public static Uri UnreachableUrl() => new($"http://127.0.0.1:{FreePort()}/v1");

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            string path = context.Request.Url!.AbsolutePath;
            if (context.Request.HttpMethod == "GET" && path == "/v1/models")
            {
                await WriteJsonAsync(response, 200, new { @object = "list", data = new[] { new { id = Model, @object = "model", owned_by = "test" } } });
                return;
            }
            if (context.Request.HttpMethod != "POST" || path != "/v1/chat/completions")
            {
                await WriteJsonAsync(response, 404, new { error = new { message = $"no route {path}" } });
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            using var body = JsonDocument.Parse(await reader.ReadToEndAsync());
            var request = body.RootElement.Clone();
            _requests.Enqueue(request);
            LastAuthorization = context.Request.Headers["Authorization"];
            string model = request.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
            if (model != Model)
            {
                await WriteJsonAsync(response, 404, new { error = new { message = $"model \"{model}\" not found, try pulling it first", type = "not_found_error" } });
                return;
            }
            if (!request.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            {
                await WriteJsonAsync(response, 400, new { error = new { message = "messages is required" } });
                return;
            }
            bool stream = request.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            if (!stream)
            {
                await WriteJsonAsync(response, 200, new
                {
                    id = "chatcmpl-test", @object = "chat.completion", created = 1_700_000_000, model = Model,
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = string.Concat(ReplyPieces) }, finish_reason = "stop" } },
                    usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
                });
                return;
            }
            response.StatusCode = 200;
            response.ContentType = "text/event-stream";
            response.SendChunked = true;
            var output = response.OutputStream;
            for (int i = 0; i < ReplyPieces.Count; i++)
            {
                object delta = i == 0 ? new { role = "assistant", content = ReplyPieces[i] } : new { content = ReplyPieces[i] };
                await WriteEventAsync(output, new
                {
                    id = "chatcmpl-test", @object = "chat.completion.chunk", created = 1_700_000_000, model = Model,
                    choices = new[] { new { index = 0, delta, finish_reason = (string?)null } },
                });
                if (i == 0 && HoldAfterFirstPiece is { } hold) await hold.Task;
            }
            await WriteEventAsync(output, new
            {
                id = "chatcmpl-test", @object = "chat.completion.chunk", created = 1_700_000_000, model = Model,
                choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } },
            });
            await output.WriteAsync("data: [DONE]\n\n"u8.ToArray());
            await output.FlushAsync();
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away.
            }
        }
    }

    private static async Task WriteEventAsync(Stream output, object chunk)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes("data: " + JsonSerializer.Serialize(chunk) + "\n\n"));
        await output.FlushAsync();
    }

    private static async Task WriteJsonAsync(HttpListenerResponse response, int status, object body)
    {
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        HoldAfterFirstPiece?.TrySetResult();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Stopping ends the loop's wait.
        }
    }
}
