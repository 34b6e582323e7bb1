using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BitSieve.Cli.Bench;
using BitSieve.Cli.Data;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve import</c>: loads an fvecs file (and optional JSONL payloads) into a collection in durable batches.
/// Stdout carries only <c>committed N</c> lines, one per durable batch, so a caller (or a crash test) knows exactly
/// which points are safe; progress goes to stderr. Re-running the same import upserts, completing what a crash cut off.
/// </summary>
internal static class ImportCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var collection = DatabaseArguments.Collection();
        var vectors = new Option<string>("--vectors") { Description = "Vectors (fvecs); row r becomes point id r unless its payload line has an \"id\".", Required = true, HelpName = "F.fvecs" };
        var payloads = new Option<string?>("--payloads") { Description = "Payloads (JSONL): line r is the JSON object of row r; an \"id\" key (integer or UUID) sets the point id and is not stored in the payload.", HelpName = "F.jsonl" };
        var batch = new Option<int>("--batch") { Description = "Points per durable batch.", DefaultValueFactory = _ => 500, HelpName = "N" };
        var metric = new Option<string>("--metric") { Description = "Metric of a new collection: cosine, dot or l2.", DefaultValueFactory = _ => "cosine", HelpName = "cosine|dot|l2" };
        var bits = new Option<int>("--bits") { Description = "Bits per dimension of a new collection's T1 + T2 code: 4 or 8.", DefaultValueFactory = _ => 4, HelpName = "4|8" };
        var command = new Command("import", "Import vectors (and payloads) into a collection, creating it if missing; prints 'committed N' after each durable batch.")
        {
            db, collection, vectors, payloads, batch, metric, bits,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            return DatabaseArguments.RunAsync("bitsieve import", error, token => Execute(
                parse.GetValue(db)!, parse.GetValue(collection)!, parse.GetValue(vectors)!, parse.GetValue(payloads), parse.GetValue(batch),
                BenchSettings.ParseMetric(parse.GetValue(metric)), parse.GetValue(bits), output, error, token), cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Imports in durable batches, printing <c>committed N</c> after each. Cancelling stops it between batches: the
    /// database is closed (checkpointed) with every batch it reported, and <see cref="OperationCanceledException"/> follows.
    /// </summary>
    internal static int Execute(string dbPath, string name, string vectorsPath, string? payloadsPath, int batch, Metric metric, int bits,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (batch is < 1 or > BitSieve.Collection.MaxBatch) throw new UsageException($"--batch must lie in 1..{BitSieve.Collection.MaxBatch}; got {batch}.");
        if (bits is not (4 or 8)) throw new UsageException($"--bits must be 4 or 8; got {bits}.");
        using var payloads = payloadsPath is null ? null : new StreamReader(payloadsPath);
        using var database = Database.Open(dbPath);
        Collection? target = null;
        long committed = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        foreach (var (firstRow, rows, dimension, data) in VecsFile.ReadFvecsBatches(vectorsPath, batch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            target ??= Open(database, name, dimension, metric, bits);
            if (target.Dimension != dimension)
                throw new UsageException($"{vectorsPath} holds vectors of dimension {dimension}, but collection '{name}' has dimension {target.Dimension}.");
            var points = new Point[rows];
            for (int r = 0; r < rows; r++)
            {
                long row = firstRow + r;
                var (id, payload) = ReadPayload(payloads, payloadsPath, row);
                points[r] = new Point(id, data.AsMemory(r * dimension, dimension), payload); // Upsert copies before returning
            }
            target.Upsert(points);
            committed += rows;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"committed {committed}"));
            output.Flush();
            if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(1))
            {
                lastReport = clock.Elapsed;
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"imported {committed} points ({committed / clock.Elapsed.TotalSeconds:F0}/s)"));
            }
        }
        database.Dispose(); // the closing checkpoint: the next open reads no log
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"imported {committed} points into '{name}' in {clock.Elapsed.TotalSeconds:F1} s ({committed / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0}/s)"));
        return ExitCodes.Ok;
    }

    private static Collection Open(Database database, string name, int dimension, Metric metric, int bits)
    {
        if (database.CollectionExists(name)) return database.GetCollection(name);
        if (dimension is < 2 or > CollectionOptions.MaxDimension)
            throw new UsageException($"dimension {dimension} is outside the engine's range 2..{CollectionOptions.MaxDimension}.");
        return database.CreateCollection(name, new CollectionOptions { Dimension = dimension, Metric = metric, Bits = bits });
    }

    private static (PointId Id, JsonObject? Payload) ReadPayload(StreamReader? payloads, string? path, long row)
    {
        var rowId = new PointId((ulong)row);
        if (payloads is null) return (rowId, null);
        string? line = payloads.ReadLine() ?? throw new UsageException($"{path} has {row} lines, fewer than the vectors.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new UsageException($"{path}, line {row + 1}: not valid JSON ({e.Message}).");
        }
        if (node is not JsonObject payload) throw new UsageException($"{path}, line {row + 1}: a payload must be a JSON object.");
        if (!payload.Remove("id", out var idNode)) return (rowId, payload);
        try
        {
            return (PointId.Parse(System.Text.Json.JsonSerializer.SerializeToElement(idNode)), payload);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{path}, line {row + 1}: {e.Message}");
        }
    }
}
