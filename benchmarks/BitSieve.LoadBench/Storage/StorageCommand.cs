using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BitSieve.Cli.Commands;

namespace BitSieve.LoadBench.Storage;

/// <summary>
/// <c>BitSieve.LoadBench storage</c> (formerly <c>bitsieve bench-storage</c>): the durable path at scale. Writes a base grown to N vectors (as <c>bench --scale-to</c>)
/// to an fvecs file (not timed), imports it with <c>bitsieve import</c>'s code in durable batches (timed, points/s),
/// closes, then re-opens the collection (timed) and reports the bytes the re-open read (/proc/self/io rchar: the
/// originals are memory-mapped, not read) and resident memory by tier.
/// </summary>
internal static class StorageCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var basePath = new Option<string>("--base") { Description = "Base vectors (fvecs) to grow from.", Required = true, HelpName = "B.fvecs" };
        var scaleTo = new Option<int>("--scale-to") { Description = "Vectors to import (the base grown as bench --scale-to does).", DefaultValueFactory = _ => 1_000_000, HelpName = "N" };
        var batch = new Option<int>("--batch") { Description = "Points per durable batch.", DefaultValueFactory = _ => 1000, HelpName = "N" };
        var measureReopen = new Option<string?>("--measure-reopen") { Description = "Internal: open this database in a fresh process and print the re-open measurements as one JSON line.", Hidden = true };
        var work = new Option<string>("--work") { Description = "Scratch folder for the fvecs file and the database (deleted afterwards).", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "bitsieve-bench-storage"), HelpName = "DIR" };
        var command = new Command("storage", "Import throughput in durable batches, re-open time and resident memory by tier.") { basePath, scaleTo, batch, work, measureReopen };
        command.SetAction((parse, cancellationToken) => DatabaseArguments.RunAsync(Program.Name + " storage", parse.InvocationConfiguration.Error, token =>
            parse.GetValue(measureReopen) is { } reopenDb
                ? MeasureReopen(reopenDb, parse.GetValue(basePath)!, parse.InvocationConfiguration.Output)
                : Execute(parse.GetValue(basePath)!, parse.GetValue(scaleTo), parse.GetValue(batch), parse.GetValue(work)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, token),
            cancellationToken));
        return command;
    }

    private static int Execute(string basePath, int scaleTo, int batch, string work, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        try
        {
            string vectors = Path.Combine(work, "vectors.fvecs"), db = Path.Combine(work, "db");
            var baseVectors = VecsFile.ReadFvecs(basePath);
            int dim = baseVectors.Dimension;
            log.WriteLine($"writing {scaleTo} × {dim} vectors to {vectors}");
            WriteScaled(vectors, baseVectors, scaleTo);

            log.WriteLine($"importing in durable batches of {batch} (fsync per batch)");
            var clock = Stopwatch.StartNew();
            int code = ImportCommand.Execute(db, "bench", vectors, null, batch, Metric.Cosine, 4, TextWriter.Null, log, cancellationToken);
            if (code != ExitCodes.Ok) return code;
            double importSeconds = clock.Elapsed.TotalSeconds;

            // The re-open is measured in a fresh process: nothing of the import is in its memory or its JIT.
            var child = ToolProcess.Self(["storage", "--base", basePath, "--measure-reopen", db]);
            child.RedirectStandardOutput = true;
            using var process = Process.Start(child)!;
            string line = process.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"the re-open process failed ({process.ExitCode}).");
            using var reopen = System.Text.Json.JsonDocument.Parse(line);
            var m = reopen.RootElement;
            double reopenSeconds = m.GetProperty("reopen_s").GetDouble();
            long readByOpen = m.GetProperty("read_bytes").GetInt64();
            long rss = m.GetProperty("rss").GetInt64(), rssAfterSearches = m.GetProperty("rss_after_searches").GetInt64();
            long count = m.GetProperty("count").GetInt64(), originalsBytes = m.GetProperty("originals_bytes").GetInt64();
            var b = new TierBytes(m.GetProperty("t1").GetInt32(), m.GetProperty("t2").GetInt32(), m.GetProperty("factors").GetInt32(), m.GetProperty("t3").GetInt32());
            var info = (Count: count, FileBytes: new Dictionary<string, long> { ["originals"] = originalsBytes });

            string Mb(double bytes) => (bytes / (1 << 20)).ToString("F1", CultureInfo.InvariantCulture);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| points | batch | import s | import points/s | reopen s | bytes read by reopen (MiB) | originals on disk (MiB) |"));
            output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {info.Count:N0} | {batch} | {importSeconds:F1} | {info.Count / importSeconds:N0} | {reopenSeconds:F2} | {Mb(readByOpen)} | {Mb(info.FileBytes["originals"])} |"));
            output.WriteLine();
            output.WriteLine("| tier | bytes/vector | MiB for all points |");
            output.WriteLine("|---|---:|---:|");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| T1 sign codes (RAM) | {b.T1} | {Mb((double)b.T1 * info.Count)} |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| T2 codes (RAM) | {b.T2} | {Mb((double)b.T2 * info.Count)} |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| factors (RAM) | {b.Factors} | {Mb((double)b.Factors * info.Count)} |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| T3 originals (mapped, on disk) | {b.T3} | {Mb((double)b.T3 * info.Count)} |"));
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"re-open process resident memory after the open: {Mb(rss)} MiB; after 20 searches: {Mb(rssAfterSearches)} MiB (includes the .NET runtime and the base file read for queries, {Mb(baseVectors.Data.Length * 4.0)} MiB)"));
            output.Flush();
            return ExitCodes.Ok;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static int MeasureReopen(string db, string basePath, TextWriter output)
    {
        var queries = VecsFile.ReadFvecs(basePath);
        GC.Collect();
        long rcharBefore = ReadBytes();
        var clock = Stopwatch.StartNew();
        using var database = Database.Open(db);
        var collection = database.GetCollection("bench");
        double seconds = clock.Elapsed.TotalSeconds;
        long read = ReadBytes() - rcharBefore;
        var info = collection.Info();
        GC.Collect();
        long rss = ResidentBytes();
        int dim = queries.Dimension;
        for (int i = 0; i < 20; i++) collection.Search(queries.Data.AsSpan(i * dim, dim), new SearchOptions { K = 10 }, withPayload: false);
        long rssAfter = ResidentBytes();
        var b = info.BytesPerVector;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"reopen_s\":{seconds:F3},\"read_bytes\":{read},\"rss\":{rss},\"rss_after_searches\":{rssAfter},\"count\":{info.Count},\"originals_bytes\":{info.FileBytes["originals"]},\"t1\":{b.T1},\"t2\":{b.T2},\"factors\":{b.Factors},\"t3\":{b.T3}}}"));
        return ExitCodes.Ok;
    }

    private static void WriteScaled(string path, VecsMatrix<float> baseVectors, int target)
    {
        int dim = baseVectors.Dimension;
        var generator = new ScaledBase(baseVectors.Data, baseVectors.Rows, dim);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var header = BitConverter.GetBytes(dim);
        var row = new float[dim];
        for (int i = 0; i < target; i++)
        {
            if (i < baseVectors.Rows) baseVectors.Data.AsSpan(i * dim, dim).CopyTo(row);
            else generator.Generate(row);
            stream.Write(header);
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
        }
    }

    /// <summary>Bytes this process has read through read() calls so far (Linux; 0 elsewhere). Mapped pages are not counted.</summary>
    private static long ReadBytes() => ProcField("/proc/self/io", "rchar:");

    private static long ResidentBytes() => ProcField("/proc/self/status", "VmRSS:") * 1024;

    private static long ProcField(string file, string name)
    {
        if (!File.Exists(file)) return 0;
        foreach (string line in File.ReadLines(file))
            if (line.StartsWith(name, StringComparison.Ordinal))
                return long.Parse(line.AsSpan(name.Length).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }
}
