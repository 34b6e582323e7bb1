using System.CommandLine;
using System.Globalization;

namespace BitSieve.Cli.Commands;

/// <summary><c>bitsieve info</c>: a collection's counts, bytes per tier and file sizes (read-only: works beside a writer).</summary>
internal static class InfoCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line of stdout." };
        var command = new Command("info", "Describe a collection: count, dimension, metric, bytes per tier, file sizes.") { db, collection, json };
        command.SetAction((parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            return DatabaseArguments.RunAsync("bitsieve info", parse.InvocationConfiguration.Error, _ =>
            {
                using var database = Database.Open(parse.GetValue(db)!, new DatabaseOptions { ReadOnly = true });
                var info = database.GetCollection(parse.GetValue(collection)!).Info();
                if (parse.GetValue(json)) output.WriteLine(info.ToJson());
                else
                {
                    var b = info.BytesPerVector;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"collection {info.Name}: {info.Count} points, dimension {info.Options.Dimension}, {info.Options.Metric.ToString().ToLowerInvariant()}, {info.Options.Bits} bits, {info.Tombstones} tombstones"));
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"index: {info.AnsweringIndex.ToString().ToLowerInvariant()} answers, {info.AnsweringReason} (type {info.Options.Index.ToString().ToLowerInvariant()}, graph degree {info.Options.GraphDegree}, build beam {info.Options.GraphBuildBeam}, threshold {info.Options.GraphThreshold} points)"));
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"bytes per vector: T1 {b.T1}, T2 {b.T2}, factors {b.Factors} (resident {b.Resident}); T3 {b.T3} on disk"));
                    output.WriteLine("files: " + string.Join(", ", info.FileBytes.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key} {f.Value:N0} B"))));
                }
                output.Flush();
                return ExitCodes.Ok;
            }, cancellationToken);
        });
        return command;
    }
}
