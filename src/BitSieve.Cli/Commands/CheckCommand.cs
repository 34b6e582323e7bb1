using System.CommandLine;
using System.Globalization;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve check</c>: reads every file of every collection (or of one) and names each damaged file and what is
/// lost, like SQLite's <c>integrity_check</c>. Read-only: it may run beside a running writer. Exit code 0 when sound,
/// 1 when anything is damaged, 2 for a bad command line or a missing database or collection.
/// </summary>
internal static class CheckCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = new Option<string?>("--collection") { Description = "Check this collection only (default: every collection).", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: {\"sound\",\"collections\":[{\"name\",\"sound\",\"points\",\"files\",\"problems\":[{\"file\",\"problem\",\"lost\"}]}]}." };
        var command = new Command("check", "Verify every file of the database (checksums, values, log records, SQLite integrity, ids against the index); exit code 1 names what is damaged.")
        {
            db, collection, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            return DatabaseArguments.RunAsync("bitsieve check", parse.InvocationConfiguration.Error, _ =>
            {
                using var database = Database.Open(parse.GetValue(db)!, new DatabaseOptions { ReadOnly = true });
                var report = database.Check(parse.GetValue(collection));
                if (parse.GetValue(json)) output.WriteLine(report.ToJson());
                else Print(report, output);
                output.Flush();
                return report.IsSound ? ExitCodes.Ok : ExitCodes.Failure;
            }, cancellationToken);
        });
        return command;
    }

    private static void Print(IntegrityReport report, TextWriter output)
    {
        foreach (var collection in report.Collections)
        {
            if (collection.IsSound)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"collection {collection.Name}: sound ({collection.Files.Count} files, {collection.Points} points)"));
                continue;
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"collection {collection.Name}: DAMAGED ({collection.Problems.Count} problems in {collection.Files.Count} files checked)"));
            foreach (var problem in collection.Problems)
            {
                output.WriteLine($"  {problem.File}: {problem.Problem}");
                output.WriteLine($"    lost: {problem.Lost}");
            }
        }
        output.WriteLine(report.Collections.Count == 0 ? "no collections" : report.IsSound ? "ok" : "damaged");
    }
}
