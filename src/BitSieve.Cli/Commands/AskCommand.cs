using System.CommandLine;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve ask &lt;folder&gt; "&lt;question&gt;"</c>: the main job in one command — index the folder (incrementally;
/// only new or changed files are embedded) and answer the question with hybrid search.
/// </summary>
internal static class AskCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var model = IndexCommand.ModelOption();
        var k = new Option<int>("--k") { Description = "Passages to show.", DefaultValueFactory = _ => 5 };
        var mode = new Option<SearchMode>("--mode") { Description = "vector, lexical or hybrid (default).", DefaultValueFactory = _ => SearchMode.Hybrid };
        var json = new Option<bool>("--json") { Description = "Print the answer as one JSON line (as search --json)." };
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var folder = new Argument<string>("folder") { Description = "The folder of documents." };
        var question = new Argument<string>("question") { Description = "The question." };
        var command = new Command("ask", "Index a folder (incrementally) and answer a question from it.") { db, collection, model, precision, plan, k, mode, json, folder, question };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync("bitsieve ask", parse.InvocationConfiguration.Error, async token =>
        {
            using var database = Database.Open(parse.GetValue(db)!);
            var report = await IndexCommand.ExecuteAsync(database, parse.GetValue(collection)!, parse.GetValue(model), PrecisionChoice.Read(parse, precision, plan), parse.GetValue(folder)!, parse.InvocationConfiguration.Error, token).ConfigureAwait(false);
            IndexCommand.WriteReport(report, parse.InvocationConfiguration.Error);
            return await SearchCommand.ExecuteAsync(database, parse.GetValue(collection)!, parse.GetValue(model), [parse.GetValue(question)!], parse.GetValue(k),
                parse.GetValue(mode), parse.GetValue(json), parse.InvocationConfiguration.Output, token).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }
}
