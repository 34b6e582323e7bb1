using BitSieve.Ingest.Chunking;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Scanning;
using BitSieve.Ingest.Pipeline;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Tests.Pipeline;

public sealed class FolderIndexerTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly TempDirectory _db = new();

    public void Dispose()
    {
        _files.Dispose();
        _db.Dispose();
    }

    [Fact]
    public async Task Every_file_is_stored_in_order_and_an_empty_one_is_reported()
    {
        _files.Write("a.txt", "Sockets are endpoints of a connection.");
        _files.Write("b.md", "# Packages\n\napt-get installs packages.\n\n## Removal\n\napt-get remove removes them.");
        _files.Write("c.txt", "   \n  ");
        _files.Write("d.txt", "The kernel schedules processes.");
        using var database = Database.Open(_db.Path);
        var collection = database.CreateCollection("docs", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
        var embedder = new LetterEmbedder();
        var seen = new List<IndexProgress>();

        var report = await new FolderIndexer(collection, embedder).IndexAsync(_files.Path, new SynchronousProgress(seen.Add));

        Assert.Equal(3, report.Indexed);
        Assert.StartsWith("c.txt: Empty", Assert.Single(report.Skipped), StringComparison.Ordinal);
        Assert.Equal(report.Chunks, collection.Count);
        Assert.Equal(["a.txt", "b.md", "d.txt"], (await new FolderIndexer(collection, embedder).IndexedFilesAsync()).Keys.Order(StringComparer.Ordinal));
        // Stored one file at a time, in scan order, while later files are being prepared.
        Assert.Equal(["a.txt", "b.md", "c.txt", "d.txt", null], seen.Select(p => p.CurrentFile));
        Assert.Equal([0, 1, 2, 3, 4], seen.Select(p => p.FilesDone));
    }

    [Fact]
    public async Task A_failure_while_preparing_a_file_stops_the_run_after_the_files_before_it()
    {
        _files.Write("a.txt", "Sockets are endpoints of a connection.");
        _files.Write("b.txt", "This file cannot be chunked: BOOM.");
        _files.Write("c.txt", "The kernel schedules processes.");
        using var database = Database.Open(_db.Path);
        var collection = database.CreateCollection("docs", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
        var failing = new TextChunker(new ChunkerOptions
        {
            TokenCounter = text => text.Contains("BOOM", StringComparison.Ordinal) ? throw new InvalidOperationException("boom") : ApproximateTokenCounter.Count(text),
        });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new FolderIndexer(collection, new LetterEmbedder(), failing).IndexAsync(_files.Path));
        Assert.Equal("boom", e.Message);
        Assert.Equal(["a.txt"], (await new FolderIndexer(collection, new LetterEmbedder()).IndexedFilesAsync()).Keys);

        // The next run does the rest.
        var report = await new FolderIndexer(collection, new LetterEmbedder()).IndexAsync(_files.Path);
        Assert.Equal(2, report.Indexed);
        Assert.Equal(1, report.Unchanged);
        Assert.Equal(["a.txt", "b.txt", "c.txt"], (await new FolderIndexer(collection, new LetterEmbedder()).IndexedFilesAsync()).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Cancelling_stops_the_run_between_files()
    {
        for (int i = 0; i < 6; i++) _files.Write($"f{i}.txt", $"File number {i} is about sockets and packages.");
        using var database = Database.Open(_db.Path);
        var collection = database.CreateCollection("docs", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
        using var cancel = new CancellationTokenSource();
        // Reported as the third file starts: that file is still stored whole, the run stops before the fourth.
        var progress = new SynchronousProgress(p =>
        {
            if (p.FilesDone == 2) cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FolderIndexer(collection, new LetterEmbedder()).IndexAsync(_files.Path, progress, cancel.Token));
        Assert.Equal(["f0.txt", "f1.txt", "f2.txt"], (await new FolderIndexer(collection, new LetterEmbedder()).IndexedFilesAsync()).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_chunks_of_many_files_are_embedded_a_window_at_a_time_and_stored_per_file()
    {
        // Eighty files of several chunks each: more than two windows in all.
        for (int i = 0; i < 80; i++)
            _files.Write($"f{i:D2}.md", string.Join("\n\n", Enumerable.Range(0, 6 + i % 5).Select(s => $"# Part {s}\n\nFile {i} is about sockets, section {s}.\n\nAnd {new string('a', i)} packages.")));
        using var database = Database.Open(_db.Path);
        var collection = database.CreateCollection("docs", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
        var embedder = new LetterEmbedder();

        var report = await new FolderIndexer(collection, embedder).IndexAsync(_files.Path);

        Assert.Equal(80, report.Indexed);
        Assert.Equal(report.Chunks, embedder.Calls.Sum(c => c.Count));
        Assert.True(report.Chunks > 2 * FolderIndexer.EmbeddingWindow, $"{report.Chunks} chunks");
        // The first file alone (the model loads while the next window is prepared), then whole files until a window is
        // full, and the rest.
        var calls = embedder.Calls;
        Assert.True(calls.Count >= 3, $"{calls.Count} calls");
        Assert.All(calls[0], text => Assert.Contains("File 0 ", text, StringComparison.Ordinal));
        Assert.All(calls.Skip(1).SkipLast(1), call => Assert.InRange(call.Count, FolderIndexer.EmbeddingWindow, FolderIndexer.EmbeddingWindow + 10));
        // Each chunk is stored under its own file with its own text's vector.
        var points = collection.Scroll(null, 1000, withVector: true).Points;
        Assert.Equal(report.Chunks, points.Count);
        foreach (var point in points)
        {
            string text = point.Payload!["text"]!.GetValue<string>();
            int file = int.Parse(point.Payload["source"]!.GetValue<string>()[1..3], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"File {file} ", text, StringComparison.Ordinal);
            // Stored unit length (cosine): the same direction as the text's own vector.
            Assert.True(Cosine(LetterEmbedder.Embed(text), point.Vector!) > 1 - 1e-6, text);
        }
    }

    [Fact]
    public async Task With_an_extraction_cache_a_file_seen_before_is_not_parsed_again_and_yields_the_same_chunks()
    {
        const string html = "<html><body><h1>Sockets</h1><p>Sockets are endpoints.</p><h2>Ports</h2><p>A port is a number.</p></body></html>";
        _files.Write("guide/a.html", html);
        _files.Write("b.txt", "The kernel schedules processes.");
        using var cacheFolder = new TempDirectory();
        using var extractions = ExtractionCache.Open(cacheFolder.Path);
        using var database = Database.Open(_db.Path);
        var first = database.CreateCollection("first", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
        var second = database.CreateCollection("second", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });

        await new FolderIndexer(first, new LetterEmbedder(), extractions: extractions).IndexAsync(_files.Path);
        Assert.Equal(2, extractions.Count());
        await new FolderIndexer(second, new LetterEmbedder(), extractions: extractions).IndexAsync(_files.Path);
        Assert.Equal(Chunks(first), Chunks(second));

        // Proof that the second run read the cache: an entry planted for the HTML file's content is what a third
        // collection gets, under the file's own name.
        string hash = FolderScanner.HashBytes(System.Text.Encoding.UTF8.GetBytes(html));
        using var planted = new TempDirectory();
        using (var plantedCache = ExtractionCache.Open(planted.Path))
        {
            plantedCache.Put(hash, LoaderOptions.Default, new ExtractedDocument("x", DocumentFormat.Html, "Planted text."));
            var third = database.CreateCollection("third", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
            await new FolderIndexer(third, new LetterEmbedder(), extractions: plantedCache).IndexAsync(_files.Path);
            Assert.Contains(("guide/a.html", "Planted text."), Chunks(third).Select(c => (c.Source, c.Text)));
        }
    }

    [Fact]
    public async Task A_changed_file_is_replaced_by_one_log_record()
    {
        _files.Write("a.md", "# One\n\nSockets are endpoints.\n\n## Two\n\nPorts are numbers.\n\n## Three\n\nPackages are installed.");
        _files.Write("b.txt", "The kernel schedules processes.");
        using var database = Database.Open(_db.Path);
        var collection = database.CreateCollection("docs", new CollectionOptions { Dimension = LetterEmbedder.Dimensions, Metric = Metric.Cosine });
        await new FolderIndexer(collection, new LetterEmbedder()).IndexAsync(_files.Path);
        long before = collection.Info().LogSequence;

        _files.Write("a.md", "# One\n\nSockets only.");
        var report = await new FolderIndexer(collection, new LetterEmbedder()).IndexAsync(_files.Path);

        // The old chunks' deletion and the new chunks travel in one record: a crash keeps one version whole.
        Assert.Equal(1, report.Indexed);
        Assert.Equal(before + 1, collection.Info().LogSequence);
        Assert.Equal(report.Chunks + 1, collection.Count);
        Assert.All(Chunks(collection).Where(c => c.Source == "a.md"), c => Assert.DoesNotContain("Ports", c.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_document_whose_vectors_do_not_fit_the_collection_changes_nothing()
    {
        using var database = Database.Open(_db.Path);
        var collection = database.CreateCollection("docs", new CollectionOptions { Dimension = LetterEmbedder.Dimensions + 1, Metric = Metric.Cosine });
        var document = new ExtractedDocument("a.md", DocumentFormat.Markdown, "# One\n\nSockets are endpoints.");

        var e = await Assert.ThrowsAsync<ArgumentException>(() => new FolderIndexer(collection, new LetterEmbedder()).IndexDocumentAsync(document, "a.md", "hash"));

        Assert.Contains("makes 8-dimensional vectors, but collection 'docs' holds 9-dimensional ones", e.Message, StringComparison.Ordinal);
        Assert.Empty(collection.Info().PayloadIndexes);
        Assert.Equal(0, collection.Info().LogSequence);
    }

    private static List<(string Source, int Start, int End, string Text, string Hash)> Chunks(Collection collection) =>
        [.. collection.Scroll(null, 1000).Points
            .Select(p => (p.Payload!["source"]!.GetValue<string>(), p.Payload["start"]!.GetValue<int>(), p.Payload["end"]!.GetValue<int>(),
                p.Payload["text"]!.GetValue<string>(), p.Payload["file_hash"]!.GetValue<string>()))
            .Order()];

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(aa * bb);
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<IndexProgress> report) : IProgress<IndexProgress>
    {
        public void Report(IndexProgress value) => report(value);
    }

    /// <summary>A stand-in model: letter counts of a to h plus one, so that no vector is zero.</summary>
    private sealed class LetterEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        public const int Dimensions = 8;

        /// <summary>The texts of each call, in order.</summary>
        public List<IReadOnlyList<string>> Calls { get; } = [];

        public static float[] Embed(string text)
        {
            var vector = new float[Dimensions];
            vector.AsSpan().Fill(1);
            foreach (char c in text.ToLowerInvariant())
                if (c is >= 'a' and < (char)('a' + Dimensions)) vector[c - 'a']++;
            return vector;
        }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            Calls.Add(texts);
            var result = new GeneratedEmbeddings<Embedding<float>>();
            foreach (string text in texts) result.Add(new Embedding<float>(Embed(text)));
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
