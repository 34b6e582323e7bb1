using System.CommandLine;
using BitSieve.Storage;

namespace BitSieve.LoadBench.Server;

/// <summary>
/// <c>BitSieve.LoadBench server</c> (formerly <c>BitSieve.LoadBench server</c>): a bounded loopback load test of
/// <c>bitsieve serve</c>. Builds a collection of the base
/// grown to N points (as <c>bench --scale-to</c>), serves it from a separate process on a free 127.0.0.1 port, and
/// reports queries/s and p50/p99/max latency of Qdrant query requests at each concurrency level, then the server's
/// resident memory over a sustained run. Exits 1 when any request failed or memory grew beyond the stated bound.
/// </summary>
internal static class ServerCommand
{
    private const string Prefix = Program.Name + " server";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var basePath = new Option<string>("--base") { Description = "Base vectors (fvecs) to grow from; row r becomes point id r.", Required = true, HelpName = "B.fvecs" };
        var queries = new Option<string>("--queries") { Description = "Query vectors (fvecs), sent in order and cycled.", Required = true, HelpName = "Q.fvecs" };
        var points = new Option<int>("--points") { Description = "Points in the served collection (the base grown as bench --scale-to does).", DefaultValueFactory = _ => 100_000, HelpName = "N" };
        var concurrency = new Option<string>("--concurrency") { Description = "Concurrency levels, each a set of workers with one request in flight.", DefaultValueFactory = _ => "1,8,64", HelpName = "1,8,64" };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per level.", DefaultValueFactory = _ => 20, HelpName = "S" };
        var warmup = new Option<double>("--warmup-seconds") { Description = "Unmeasured seconds before each level and before the sustained run.", DefaultValueFactory = _ => 5, HelpName = "S" };
        var soak = new Option<double>("--soak-seconds") { Description = "Sustained run whose server memory is sampled (0 skips it; memory is judged from 180 s on).", DefaultValueFactory = _ => 300, HelpName = "S" };
        var soakConcurrency = new Option<int>("--soak-concurrency") { Description = "Workers of the sustained run.", DefaultValueFactory = _ => 8, HelpName = "N" };
        var sample = new Option<double>("--sample-seconds") { Description = "Seconds between samples of the server's resident memory.", DefaultValueFactory = _ => 10, HelpName = "S" };
        var limit = new Option<int>("--limit") { Description = "Results per query.", DefaultValueFactory = _ => 10, HelpName = "K" };
        var db = new Option<string?>("--db") { Description = "Database directory to build in and keep (the 'bench' collection is replaced). Default: a temporary one, deleted afterwards.", HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line of stdout (the tables then go to stderr)." };
        var workload = new Option<string>("--workload") { Description = "queries: the concurrency levels, then the sustained run. updates: for --soak-seconds, upserts replacing existing ids and deletes at --update-rate while --soak-concurrency searchers query; samples server memory and file sizes, and p99 latency during background compaction and outside it.", DefaultValueFactory = _ => "queries", HelpName = "queries|updates" };
        var updateRate = new Option<int>("--update-rate") { Description = "Points upserted per second by the update workload.", DefaultValueFactory = _ => 1000, HelpName = "N" };
        var updateBatch = new Option<int>("--update-batch") { Description = "Points per upsert of the update workload (a tenth as many are deleted after each).", DefaultValueFactory = _ => 100, HelpName = "N" };
        var protocol = new Option<string>("--protocol")
        {
            Description = "queries workload: rest (POST …/points/query), grpc (qdrant.Points/Query with the official Qdrant.Client), or both, one after the other at each level.",
            DefaultValueFactory = _ => "rest",
            HelpName = "rest|grpc|both",
        };
        var command = new Command("server", "Loopback load test of bitsieve serve: queries/s and p50/p99 latency per concurrency level, then server memory over a sustained run.")
        {
            basePath, queries, points, concurrency, seconds, warmup, soak, soakConcurrency, sample, limit, db, json, workload, updateRate, updateBatch, protocol,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            ServerLoadSettings settings;
            try
            {
                settings = new ServerLoadSettings
                {
                    BasePath = parse.GetValue(basePath)!,
                    QueriesPath = parse.GetValue(queries)!,
                    Points = parse.GetValue(points),
                    Concurrency = ServerLoadSettings.ParseConcurrency(parse.GetValue(concurrency)),
                    Duration = Seconds("--seconds", parse.GetValue(seconds)),
                    Warmup = Seconds("--warmup-seconds", parse.GetValue(warmup)),
                    Soak = Seconds("--soak-seconds", parse.GetValue(soak)),
                    SoakConcurrency = parse.GetValue(soakConcurrency),
                    SampleInterval = Seconds("--sample-seconds", parse.GetValue(sample)),
                    Limit = parse.GetValue(limit),
                    Db = parse.GetValue(db),
                    Json = parse.GetValue(json),
                    Workload = ServerLoadSettings.ParseWorkload(parse.GetValue(workload)),
                    UpdateRate = parse.GetValue(updateRate),
                    UpdateBatch = parse.GetValue(updateBatch),
                    Protocol = ServerLoadSettings.ParseProtocol(parse.GetValue(protocol)),
                };
                settings.Validate();
            }
            catch (UsageException e)
            {
                error.WriteLine($"{Prefix}: error: {e.Message}");
                return ExitCodes.Usage;
            }
            // Ctrl+C and SIGTERM cancel the token (Program), so that the server process is killed and the temporary
            // database deleted.
            return await ExecuteAsync(settings, parse.InvocationConfiguration.Output, error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs the load test with settings already parsed; returns the exit code (1 when it did not pass).</summary>
    public static async Task<int> ExecuteAsync(ServerLoadSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (settings.Workload == ServerWorkload.Updates) return await ExecuteUpdatesAsync(settings, output, error, cancellationToken).ConfigureAwait(false);
        var (report, code) = await RunAsync(() => ServerLoadRunner.RunAsync(settings, error, cancellationToken), error).ConfigureAwait(false);
        if (report is null) return code;

        report.WriteTable(settings.Json ? error : output);
        if (settings.Json) output.WriteLine(report.ToJson());
        output.Flush();
        if (report.Passed) return ExitCodes.Ok;
        error.WriteLine(report.Errors > 0 || !report.ServerAlive
            ? $"{Prefix}: failed: {report.Errors} requests failed{(report.ServerAlive ? "" : " and the server process exited")}"
            : $"{Prefix}: failed: the server's memory grew beyond the bound");
        return ExitCodes.Failure;
    }

    private static async Task<int> ExecuteUpdatesAsync(ServerLoadSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var (report, code) = await RunAsync(() => UpdateLoadRunner.RunAsync(settings, error, cancellationToken), error).ConfigureAwait(false);
        if (report is null) return code;

        report.WriteTable(settings.Json ? error : output);
        if (settings.Json) output.WriteLine(report.ToJson());
        output.Flush();
        if (report.Passed) return ExitCodes.Ok;
        error.WriteLine(report.Errors > 0 || report.UpdateErrors > 0 || !report.ServerAlive
            ? $"{Prefix}: failed: {report.Errors} searches and {report.UpdateErrors} updates failed{(report.ServerAlive ? "" : " and the server process exited")}"
            : $"{Prefix}: failed: the server's memory or files grew beyond {UpdateLoadReport.Bound}x their level after the first minute");
        return ExitCodes.Failure;
    }

    private static TimeSpan Seconds(string option, double value) =>
        double.IsFinite(value) && value is >= 0 and <= 86_400 ? TimeSpan.FromSeconds(value) : throw new UsageException($"{option} must be between 0 and 86400 seconds, not {value}.");

    /// <summary>Runs a workload; a failure to start or finish it is one line on <paramref name="error"/> and an exit code.</summary>
    private static Task<(T? Report, int Code)> RunAsync<T>(Func<Task<T>> run, TextWriter error) where T : class => RunAsync(Prefix, run, error);

    /// <summary>Runs a workload; a failure to start or finish it is one line on <paramref name="error"/>, after <paramref name="prefix"/>, and an exit code.</summary>
    internal static async Task<(T? Report, int Code)> RunAsync<T>(string prefix, Func<Task<T>> run, TextWriter error) where T : class
    {
        try
        {
            return (await run().ConfigureAwait(false), ExitCodes.Ok);
        }
        catch (Exception e) when (e is UsageException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            error.WriteLine($"{prefix}: error: {e.Message}");
            return (null, ExitCodes.Usage);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException or DatabaseLockedException or CorruptFileException
                                      or System.ComponentModel.Win32Exception)
        {
            error.WriteLine($"{prefix}: error: {(e is OperationCanceledException ? "cancelled" : e.Message)}");
            return (null, ExitCodes.Failure);
        }
    }
}
