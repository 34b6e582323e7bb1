using System.CommandLine;
using System.Text.Json.Nodes;
using BitSieve.Ingest.Answering;
using BitSieve.Ingest.Rag;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve ask &lt;folder&gt; "&lt;question&gt;"</c>: the main job in one command — index the folder (incrementally;
/// only new or changed files are embedded) and answer the question with hybrid search: the passages and an extractive
/// answer (<see cref="ExtractiveAnswerer"/>), or, with <c>--llm URL</c>, a chat model's answer streamed from an
/// OpenAI-compatible endpoint and ended with numbered citations.
/// </summary>
internal static class AskCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var model = IndexCommand.ModelOption();
        var k = new Option<int>("--k") { Description = "Passages to show (and to send to the model).", DefaultValueFactory = _ => 5 };
        var mode = new Option<SearchMode>("--mode") { Description = "vector, lexical or hybrid (default).", DefaultValueFactory = _ => SearchMode.Hybrid };
        var json = new Option<bool>("--json") { Description = "Print the answer as one JSON line (as search --json, with \"answer\")." };
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var llm = new Option<string?>("--llm")
        {
            Description = $"Answer with a chat model: the base URL of an OpenAI-compatible endpoint (http://localhost:11434/v1 for Ollama). API key from {ChatEndpoint.ApiKeyVariable} or {ChatEndpoint.OpenAiApiKeyVariable}.",
            HelpName = "URL",
        };
        var llmModel = new Option<string?>("--llm-model") { Description = "The chat model (default: the first the endpoint lists).", HelpName = "NAME" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "The prompt's token budget: passages are cut to fit, the question never.", DefaultValueFactory = _ => 3000, HelpName = "N" };
        var folder = new Argument<string>("folder") { Description = "The folder of documents." };
        var question = new Argument<string>("question") { Description = "The question." };
        var command = new Command("ask", "Index a folder (incrementally) and answer a question from it.") { db, collection, model, precision, plan, k, mode, json, llm, llmModel, promptTokens, folder, question };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync("bitsieve ask", parse.InvocationConfiguration.Error, async token =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(llm) is null && parse.GetValue(llmModel) is not null) throw new UsageException("--llm-model needs --llm URL (the chat endpoint).");
            var endpoint = parse.GetValue(llm) is { } url
                ? new ChatEndpoint(Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : throw new UsageException($"--llm: '{url}' is not an absolute URL (such as http://localhost:11434/v1)."),
                    parse.GetValue(llmModel), ChatEndpoint.ApiKeyFromEnvironment())
                : null;
            if (parse.GetValue(k) is < 1 or > 1000) throw new UsageException($"--k must lie in 1..1000; got {parse.GetValue(k)}.");
            int budget = parse.GetValue(promptTokens);
            if (budget < 1) throw new UsageException($"--prompt-tokens must be positive; got {budget}.");
            var promptOptions = new AnswerPromptOptions { MaxPromptTokens = budget };
            string name = parse.GetValue(collection)!, text = parse.GetValue(question)!;
            using var database = Database.Open(parse.GetValue(db)!);
            var report = await IndexCommand.ExecuteAsync(database, name, parse.GetValue(model), PrecisionChoice.Read(parse, precision, plan), parse.GetValue(folder)!, parse.InvocationConfiguration.Error, token).ConfigureAwait(false);
            IndexCommand.WriteReport(report, parse.InvocationConfiguration.Error);

            using var rag = new CliRag(database, indexing: false);
            var target = await rag.OpenAsync(name, parse.GetValue(model), PrecisionRequest.Stored, create: false, token).ConfigureAwait(false);
            var searchOptions = new RagSearchOptions { Mode = SearchCommand.ToRag(parse.GetValue(mode)), Search = new SearchOptions { K = parse.GetValue(k) } };
            var result = await CliRag.Checked(target.SearchAsync(text, searchOptions, token)).ConfigureAwait(false);
            var passages = result.Hits.Select(AnswerPassage.FromHit).ToList();

            if (endpoint is null)
            {
                var extractive = ExtractiveAnswerer.Answer(text, passages);
                if (parse.GetValue(json)) output.WriteLine(WithAnswer(SearchCommand.ToJson(text, parse.GetValue(mode), result), AnswerJson.Extractive(extractive)));
                else
                {
                    SearchCommand.Print(text, result, output);
                    var style = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null
                        ? HighlightStyle.Ansi : HighlightStyle.Markdown;
                    output.WriteLine(extractive.Sentences.Count > 0 ? $"Answer (extractive): {extractive.Format(style)}" : "Answer (extractive): no sentence of the passages matches the question's words.");
                }
                return ExitCodes.Ok;
            }

            var prompt = AnswerPrompt.Build(text, passages, promptOptions);
            var answerer = new ChatAnswerer(await endpoint.ConnectAsync(token).ConfigureAwait(false));
            if (parse.GetValue(json))
            {
                var generated = await answerer.AnswerAsync(prompt, cancellationToken: token).ConfigureAwait(false);
                output.WriteLine(WithAnswer(SearchCommand.ToJson(text, parse.GetValue(mode), result), AnswerJson.Generated(generated, prompt)));
                return ExitCodes.Ok;
            }
            var answer = await answerer.AnswerAsync(prompt, async (piece, _) =>
            {
                output.Write(piece);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }, token).ConfigureAwait(false);
            output.WriteLine();
            output.WriteLine();
            output.WriteLine(answer.Citations.CitedByReply ? "Sources:" : "Sources (the answer cites none; these are all the passages it was given):");
            foreach (var citation in answer.Citations.Citations) output.WriteLine(citation.ToString());
            if (prompt.PassagesLeftOut > 0 || prompt.LastPassageShortened)
                parse.InvocationConfiguration.Error.WriteLine($"bitsieve ask: the prompt budget (--prompt-tokens {promptOptions.MaxPromptTokens}) left out {prompt.PassagesLeftOut} passage(s){(prompt.LastPassageShortened ? " and shortened the last one sent" : "")}");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    /// <summary>The search's JSON line with an <c>answer</c> field added.</summary>
    private static string WithAnswer(string searchJson, JsonObject answer)
    {
        var line = JsonNode.Parse(searchJson)!.AsObject();
        line["answer"] = answer;
        return line.ToJsonString();
    }
}
