using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BitSieve.LoadBench.Server;

/// <summary>
/// The update workload of <c>BitSieve.LoadBench server --workload updates</c>: against a served collection of N points, one
/// writer replaces existing ids with new vectors (upserts) and deletes some (each deleted id comes back with the next
/// upsert, so the collection stays near N), at a fixed rate of points per second, while searchers query back to back.
/// It samples the server's resident memory and the collection's file sizes, and watches the collection's status
/// (<c>yellow</c> while it compacts in the background) to split search latency into during and outside compaction.
/// </summary>
internal static class UpdateLoadRunner
{
    private const double StatusPollSeconds = 0.2;

    /// <summary>Runs the workload for <see cref="ServerLoadSettings.Soak"/>; progress goes to <paramref name="log"/>. The server process is killed before this returns or throws.</summary>
    public static async Task<UpdateLoadReport> RunAsync(ServerLoadSettings settings, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        var (baseVectors, queries) = ServerLoadRunner.ReadInputs(settings);
        string loadBefore = ServerLoadRunner.LoadAverage();
        string db = settings.Db ?? Path.Combine(Path.GetTempPath(), "bitsieve-bench-updates-" + Guid.NewGuid().ToString("N"));
        try
        {
            var clock = Stopwatch.StartNew();
            ServerLoadRunner.Build(db, baseVectors, settings.Points, log, cancellationToken);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"built {settings.Points:N0} × {baseVectors.Dimension} points in {clock.Elapsed.TotalSeconds:F1} s; starting the server"));
            using var server = await ServerProcess.StartAsync(db, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            string collectionDirectory = Path.Combine(db, "collections", ServerLoadRunner.CollectionName);

            var answered = new ConcurrentQueue<(long Start, long Latency)>();
            bool measuring = false;
            using var load = new QueryLoad(server.Address, ServerLoadRunner.CollectionName, queries, settings.Limit, settings.Points, settings.SoakConcurrency,
                (start, latency) =>
                {
                    if (Volatile.Read(ref measuring)) answered.Enqueue((start, latency));
                });
            if (settings.Warmup > TimeSpan.Zero) await load.RunAsync(settings.SoakConcurrency, settings.Warmup, cancellationToken).ConfigureAwait(false);

            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"update workload: {settings.Soak.TotalSeconds:0.#} s, {settings.UpdateRate} points/s in upserts of {settings.UpdateBatch} (a tenth as many deletes), {settings.SoakConcurrency} searchers; samples every {settings.SampleInterval.TotalSeconds:0.#} s"));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            var watch = new CompactionWatch(client);
            var writer = new UpdateWriter(client, baseVectors, settings);
            var samples = new List<UpdateSample>();
            Volatile.Write(ref measuring, true);
            long start = Stopwatch.GetTimestamp();
            var watching = watch.RunAsync(stop.Token);
            var writing = writer.RunAsync(settings.Soak, stop.Token);
            var sampling = SampleAsync(server, collectionDirectory, writer, watch, load, settings, samples, log, stop.Token);
            LoadResult searches;
            try
            {
                searches = await load.RunAsync(settings.SoakConcurrency, settings.Soak, cancellationToken).ConfigureAwait(false);
                await writing.ConfigureAwait(false);
                await sampling.ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref measuring, false);
                await stop.CancelAsync().ConfigureAwait(false);
                await watching.ConfigureAwait(false);
            }

            // A search is "during" a compaction when its span overlaps one (as the status polls saw it, ± one poll).
            var intervals = watch.Intervals(Stopwatch.GetTimestamp());
            long slack = (long)(StatusPollSeconds * Stopwatch.Frequency);
            var during = new List<long>();
            var outside = new List<long>();
            foreach (var (begin, latency) in answered)
            {
                bool overlaps = intervals.Any(i => begin <= i.End + slack && begin + latency >= i.Begin - slack);
                (overlaps ? during : outside).Add(latency);
            }
            bool alive = !server.HasExited;
            if (!alive) log.WriteLine($"the server process exited: {server.RecentOutput}");
            return new UpdateLoadReport
            {
                Points = settings.Points,
                Dimension = baseVectors.Dimension,
                Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
                Searches = searches,
                SearchP99DuringMs = P99Ms(during),
                SearchesDuring = during.Count,
                SearchP99OutsideMs = P99Ms(outside),
                SearchesOutside = outside.Count,
                Compactions = intervals.Count,
                CompactingSeconds = intervals.Sum(i => (double)(i.End - i.Begin) / Stopwatch.Frequency),
                PointsWritten = writer.Points,
                PointsDeleted = writer.Deleted,
                UpdateErrors = writer.Errors,
                Samples = samples,
                Errors = load.Errors,
                FirstErrors = [.. load.FirstErrors, .. writer.FirstErrors],
                ServerAlive = alive,
                LoadAverageBefore = loadBefore,
                LoadAverageAfter = ServerLoadRunner.LoadAverage(),
            };
        }
        finally
        {
            if (settings.Db is null) ServerLoadRunner.TryDelete(db);
        }
    }

    private static double P99Ms(List<long> latencies)
    {
        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        return QueryLoad.Percentile(sorted, 0.99) * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>Samples at t = 0, Δ, 2Δ, … up to the end of the run.</summary>
    private static async Task SampleAsync(ServerProcess server, string collectionDirectory, UpdateWriter writer, CompactionWatch watch, QueryLoad load,
        ServerLoadSettings settings, List<UpdateSample> samples, TextWriter log, CancellationToken cancellationToken)
    {
        long searchesAtStart = load.Completed;
        var clock = Stopwatch.StartNew();
        int count = (int)Math.Floor(settings.Soak.TotalSeconds / settings.SampleInterval.TotalSeconds + 1e-9);
        for (int i = 0; i <= count; i++)
        {
            var due = settings.SampleInterval * i;
            if (due > clock.Elapsed)
            {
                try
                {
                    await Task.Delay(due - clock.Elapsed, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            var sample = new UpdateSample(clock.Elapsed.TotalSeconds, writer.Points, load.Completed - searchesAtStart, watch.Count,
                server.Memory(), CollectionFiles.Measure(collectionDirectory));
            samples.Add(sample);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"t={sample.Seconds,6:0.#} s  points written {sample.PointsWritten,9:N0}  searches {sample.Searches,8:N0}  compactions {sample.Compactions,3}  RSS {ServerLoadRunner.Mib(sample.Memory.Rss)} MiB  files {ServerLoadRunner.Mib(sample.Files.Total)} MiB (index {ServerLoadRunner.Mib(sample.Files.Index)}, originals {ServerLoadRunner.Mib(sample.Files.Originals)}, points.db {ServerLoadRunner.Mib(sample.Files.PointsDb)}, wal {ServerLoadRunner.Mib(sample.Files.Wal)})"));
        }
    }

    /// <summary>Polls <c>GET /collections/bench</c>: its <c>status</c> is <c>yellow</c> while the server compacts it in the background.</summary>
    private sealed class CompactionWatch(HttpClient client)
    {
        private readonly Lock _gate = new();
        private readonly List<(long Begin, long End)> _done = [];
        private long? _open;

        /// <summary>Compactions seen so far, the one running included.</summary>
        public int Count
        {
            get
            {
                lock (_gate) return _done.Count + (_open is null ? 0 : 1);
            }
        }

        /// <summary>The compactions seen, as Stopwatch timestamps; one still running ends at <paramref name="now"/>.</summary>
        public List<(long Begin, long End)> Intervals(long now)
        {
            lock (_gate) return _open is long begin ? [.. _done, (begin, now)] : [.. _done];
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            string path = $"/collections/{ServerLoadRunner.CollectionName}";
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
                    using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
                    bool compacting = document.RootElement.GetProperty("result").GetProperty("status").GetString() == "yellow";
                    long now = Stopwatch.GetTimestamp();
                    lock (_gate)
                    {
                        if (compacting && _open is null) _open = now;
                        else if (!compacting && _open is long begin)
                        {
                            _done.Add((begin, now));
                            _open = null;
                        }
                    }
                    await Task.Delay(TimeSpan.FromSeconds(StatusPollSeconds), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    // A missed poll only blurs the split between during and outside; the searches count errors themselves.
                }
            }
        }
    }

    /// <summary>The one writer: upserts of existing ids with new vectors and deletes, paced to a rate of points per second.</summary>
    private sealed class UpdateWriter(HttpClient client, VecsMatrix<float> baseVectors, ServerLoadSettings settings)
    {
        private const int KeptErrors = 5;
        private readonly ScaledBase _generator = new(baseVectors.Data, baseVectors.Rows, baseVectors.Dimension);
        private readonly Random _random = new(ScaledBase.Seed + 1);
        private readonly ConcurrentQueue<string> _firstErrors = new();
        private long _points, _deleted, _errors;

        public long Points => Interlocked.Read(ref _points);

        public long Deleted => Interlocked.Read(ref _deleted);

        public long Errors => Interlocked.Read(ref _errors);

        public IReadOnlyList<string> FirstErrors => [.. _firstErrors];

        public async Task RunAsync(TimeSpan duration, CancellationToken cancellationToken)
        {
            string collection = ServerLoadRunner.CollectionName;
            var clock = Stopwatch.StartNew();
            var deleted = new List<long>();
            int dim = baseVectors.Dimension;
            var vector = new float[dim];
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                // Upsert: the ids deleted last time come back, the rest replace random existing ids.
                var ids = new HashSet<long>(deleted);
                while (ids.Count < settings.UpdateBatch) ids.Add(_random.NextInt64(settings.Points));
                var body = new StringBuilder("{\"points\":[");
                foreach (long id in ids)
                {
                    _generator.Generate(vector);
                    body.Append(CultureInfo.InvariantCulture, $"{{\"id\":{id},\"payload\":{{\"source\":\"doc-{id % baseVectors.Rows}\",\"row\":{id}}},\"vector\":[");
                    for (int i = 0; i < dim; i++) body.Append(i == 0 ? "" : ",").Append(vector[i].ToString("R", CultureInfo.InvariantCulture));
                    body.Append("]},");
                }
                body.Length--;
                body.Append("]}");
                if (await SendAsync(HttpMethod.Put, $"/collections/{collection}/points?wait=true", body.ToString(), cancellationToken).ConfigureAwait(false))
                    Interlocked.Add(ref _points, ids.Count);
                deleted.Clear();
                // Delete a tenth as many, kept apart from the upsert just made.
                var remove = new HashSet<long>();
                while (remove.Count < Math.Max(1, settings.UpdateBatch / 10))
                {
                    long id = _random.NextInt64(settings.Points);
                    if (!ids.Contains(id)) remove.Add(id);
                }
                if (await SendAsync(HttpMethod.Post, $"/collections/{collection}/points/delete?wait=true", $"{{\"points\":[{string.Join(',', remove)}]}}", cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Add(ref _deleted, remove.Count);
                    deleted.AddRange(remove);
                }
                // Pace to the rate: the next batch is due when the points written so far were due.
                var due = TimeSpan.FromSeconds((double)Points / settings.UpdateRate);
                if (due > clock.Elapsed)
                {
                    try
                    {
                        await Task.Delay(due - clock.Elapsed, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }

        private async Task<bool> SendAsync(HttpMethod method, string path, string json, CancellationToken cancellationToken)
        {
            string? failure;
            try
            {
                using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return true;
                string answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                failure = string.Create(CultureInfo.InvariantCulture, $"{method} {path}: HTTP {(int)response.StatusCode}: {(answer.Length <= 200 ? answer : answer[..200])}");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                failure = $"{method} {path}: {e.GetType().Name}: {e.Message}";
            }
            Interlocked.Increment(ref _errors);
            if (_firstErrors.Count < KeptErrors) _firstErrors.Enqueue(failure);
            return false;
        }
    }
}
