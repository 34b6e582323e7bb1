using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BitSieve.Cli.Data;
using Xunit.Abstractions;

namespace BitSieve.Cli.Tests;

/// <summary>
/// Readers during checkpoints: <c>bitsieve search --vectors</c> runs again and again as a separate read-only process
/// while this process writes the same database — every round upserts a new batch near the queries, deletes the
/// previous one, checkpoints, and every third round compacts. Every state a writer leaves holds at least k points near
/// each query, from one round or two consecutive ones, so every answer must be exactly k ids of those: never an error,
/// never a deleted or unknown id, never fewer than k. Runs for BITSIEVE_READER_SECONDS (default 12).
/// </summary>
public sealed class ReadersDuringCheckpointsTests(ITestOutputHelper output) : IDisposable
{
    private const int Dim = 32, Queries = 4, K = 10, BaseCount = 300, RowsPerReader = 400;
    private const ulong RoundStride = 1000; // id of point j of round r: r × 1000 + j; base points below 1000
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-readers-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_reader_process_searching_while_the_writer_imports_checkpoints_and_compacts_sees_one_state_every_time()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("BITSIEVE_READER_SECONDS"), CultureInfo.InvariantCulture, out int s) ? s : 12;
        Directory.CreateDirectory(_dir);
        string db = Path.Combine(_dir, "db"), queriesPath = Path.Combine(_dir, "q.fvecs");
        var queries = RandomVectors.Gaussian(Queries, Dim, seed: 11);
        // Each reader process searches the queries over and over, so one open lives through several checkpoints.
        VecsFile.WriteFvecs(queriesPath, Enumerable.Range(0, RowsPerReader).SelectMany(r => queries.AsSpan(r % Queries * Dim, Dim).ToArray()).ToArray(), Dim);

        using var database = Database.Open(db);
        var collection = database.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Cosine, TrainingSize = 200 });
        var far = RandomVectors.Gaussian(BaseCount, Dim, seed: 12);
        collection.Upsert([.. Enumerable.Range(0, BaseCount).Select(i => new Point((ulong)i, far.AsMemory(i * Dim, Dim)))]);
        collection.Upsert(Round(queries, 1));
        collection.Checkpoint();

        long round = 1; // the last round whose upsert has begun: no id of a later round may ever be seen
        using var stop = new CancellationTokenSource();
        var writer = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                long next = Interlocked.Increment(ref round);
                collection.Upsert(Round(queries, next));
                collection.Delete([.. Enumerable.Range(0, Queries * K).Select(j => new PointId((ulong)(next - 1) * RoundStride + (ulong)j))]);
                if (next % 3 == 0) collection.Compact();
                else collection.Checkpoint();
            }
        }, TaskCreationOptions.LongRunning);

        var problems = new List<string>();
        int processes = 0, answers = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds) && problems.Count < 20 && !writer.IsCompleted)
            {
                processes++;
                var (exit, lines, errors) = RunReader(db, queriesPath);
                if (exit != 0) problems.Add($"reader {processes} exited with {exit}: {errors.Trim()}");
                foreach (string line in lines)
                {
                    answers++;
                    if (Check(line, Interlocked.Read(ref round)) is { } problem) problems.Add($"reader {processes}: {problem}");
                }
            }
        }
        finally
        {
            stop.Cancel();
            await writer; // a writer failure fails the test
        }
        output.WriteLine($"{processes} reader processes, {answers} answers, {Interlocked.Read(ref round)} writer rounds in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(Interlocked.Read(ref round) >= 4 && answers >= RowsPerReader, $"too little happened to tell anything: {round} rounds, {answers} answers");
    }

    /// <summary>Round r: for each query, K points very near it (ids r × 1000 + query × K + i).</summary>
    private static List<Point> Round(float[] queries, long round)
    {
        var noise = RandomVectors.Gaussian(Queries * K, Dim, seed: (int)round);
        var points = new List<Point>(Queries * K);
        for (int j = 0; j < Queries * K; j++)
        {
            var v = new float[Dim];
            for (int d = 0; d < Dim; d++) v[d] = queries[j / K * Dim + d] + 0.05f * noise[j * Dim + d];
            points.Add(new Point((ulong)round * RoundStride + (ulong)j, v));
        }
        return points;
    }

    /// <summary>A problem with one answer line, or null: exactly K hits, all near its query, from one or two consecutive rounds, none from the future.</summary>
    private static string? Check(string line, long lastRound)
    {
        using var document = JsonDocument.Parse(line);
        int row = document.RootElement.GetProperty("row").GetInt32();
        var ids = document.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetUInt64()).ToList();
        if (ids.Count != K) return $"row {row}: {ids.Count} hits where {K} points near the query are live in every state: [{string.Join(", ", ids)}]";
        var rounds = ids.Select(id => (long)(id / RoundStride)).Distinct().Order().ToList();
        if (ids.Any(id => id % RoundStride / K != (ulong)(row % Queries)) || rounds[0] < 1)
            return $"row {row}: hits that are not the points near its query: [{string.Join(", ", ids)}]";
        if (rounds[^1] - rounds[0] > 1) return $"row {row}: hits from rounds {string.Join(", ", rounds)}, which are never live together (deleted ids): [{string.Join(", ", ids)}]";
        if (rounds[^1] > lastRound) return $"row {row}: hits from round {rounds[^1]}, never written (unknown ids)";
        return null;
    }

    private static (int Exit, List<string> Lines, string Errors) RunReader(string db, string queries)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll"), "search", "--db", db, "--collection", "c",
                     "--vectors", queries, "--k", K.ToString(CultureInfo.InvariantCulture), "--json" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        // Stderr on a thread of its own: the pool's threads are busy with the writer and the searches.
        string errors = "";
        var errorReader = new Thread(() => errors = process.StandardError.ReadToEnd());
        errorReader.Start();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
        process.WaitForExit();
        errorReader.Join();
        return (process.ExitCode, lines, errors);
    }
}
