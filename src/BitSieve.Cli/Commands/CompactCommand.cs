using System.CommandLine;
using System.Globalization;

namespace BitSieve.Cli.Commands;

/// <summary><c>bitsieve compact</c>: rewrites a collection's index without tombstones, with a re-trained centroid.</summary>
internal static class CompactCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var command = new Command("compact", "Rewrite a collection's columns without deleted points (atomic; searches may continue).") { db, collection };
        command.SetAction((parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            return DatabaseArguments.RunAsync("bitsieve compact", parse.InvocationConfiguration.Error, _ =>
            {
                using var database = Database.Open(parse.GetValue(db)!);
                var target = database.GetCollection(parse.GetValue(collection)!);
                long tombstones = target.Info().Tombstones;
                target.Compact();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"compacted {target.Name}: {target.Count} points, {tombstones} deleted points removed"));
                output.Flush();
                return ExitCodes.Ok;
            }, cancellationToken);
        });
        return command;
    }
}
