using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using BitSieve.Ingest.Chunking;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Rag;
using BitSieve.Ingest.Scanning;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Pipeline;

/// <summary>Where an indexing run stands, for a progress display.</summary>
/// <param name="FilesDone">Files processed (indexed, skipped or removed).</param>
/// <param name="FilesTotal">Files to process in this run.</param>
/// <param name="Chunks">Chunks embedded and stored so far.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="CurrentFile">The file being indexed, if any.</param>
public sealed record IndexProgress(int FilesDone, int FilesTotal, long Chunks, TimeSpan Elapsed, string? CurrentFile)
{
    /// <summary>Chunks per second so far.</summary>
    public double ChunksPerSecond => Chunks / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Estimated time left, from the pace of files so far (null until one file is done).</summary>
    public TimeSpan? Remaining => FilesDone == 0 ? null : Elapsed / FilesDone * (FilesTotal - FilesDone);
}

/// <summary>What an indexing run did.</summary>
public sealed record IndexReport
{
    /// <summary>Files indexed (new or changed).</summary>
    public int Indexed { get; init; }

    /// <summary>Files left as they were (same content).</summary>
    public int Unchanged { get; init; }

    /// <summary>Files removed from the index (deleted from the folder).</summary>
    public int Removed { get; init; }

    /// <summary>Files renamed or moved (their chunks kept, their source updated).</summary>
    public int Moved { get; init; }

    /// <summary>Files skipped with a warning (unreadable, binary, empty, malformed).</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    /// <summary>Chunks embedded and stored.</summary>
    public long Chunks { get; init; }

    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>
/// Indexes a folder into a collection: scans it, compares content hashes with what the collection holds, and only
/// for new or changed files loads, chunks, embeds and stores the chunks (deleted files are removed, moved files keep
/// their chunks). Every chunk is a point whose payload is a <see cref="ChunkPayload"/> (<c>source</c> is the path
/// relative to the folder, '/'-separated); its <c>text</c> feeds the lexical index. A file's old chunks are removed and its new
/// ones written in one durable, logged write, so an interrupted run (or a crash) leaves whole files, old or new, and the
/// next run redoes the rest.
/// </summary>
public sealed class FolderIndexer
{
    /// <summary>The collection property naming the embedding model of its vectors.</summary>
    public const string ModelProperty = "embedding_model";

    /// <summary>
    /// The collection property naming the precision its embedding model ran at: <c>fp32</c>, <c>int8</c>, or <c>auto</c>
    /// followed by the plan's int8 layers, one a line. A collection without it (made before precisions were stored) is fp32.
    /// </summary>
    public const string PrecisionProperty = "embedding_precision";

    /// <summary>
    /// Chunks gathered (whole files) before the model is called: the embedder sorts one call's texts by length and pads
    /// each batch to its longest, so one call over many files wastes less on padding and small last batches than one
    /// call per file, and an int8 model gains its full speed only on full batches.
    /// </summary>
    internal const int EmbeddingWindow = 256;

    private readonly IPointCollection _collection;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly TextChunker _chunker;
    private readonly ExtractionCache? _extractions;

    /// <summary>
    /// Creates an indexer; <paramref name="chunker"/> defaults to the standard chunker. With
    /// <paramref name="extractions"/>, a file whose content was extracted before (by any indexer sharing that cache) is
    /// not parsed again.
    /// </summary>
    public FolderIndexer(IPointCollection collection, IEmbeddingGenerator<string, Embedding<float>> embedder, TextChunker? chunker = null, ExtractionCache? extractions = null)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(embedder);
        _collection = collection;
        _embedder = embedder;
        _chunker = chunker ?? new TextChunker();
        _extractions = extractions;
    }

    /// <summary>Indexes <paramref name="folder"/>; reports progress after every file.</summary>
    public async Task<IndexReport> IndexAsync(string folder, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        var clock = Stopwatch.StartNew();
        await EnsureIndexesAsync().ConfigureAwait(false);
        var previous = await IndexedFilesAsync().ConfigureAwait(false);
        var scan = new FolderScanner().Scan(folder, null, cancellationToken);
        var changes = ChangeSet.Compute(previous, scan);
        var skipped = scan.Problems.Select(p => p.ToString()).ToList();

        foreach (string path in changes.Deleted) await _collection.DeleteAsync(BySource(path)).ConfigureAwait(false);
        foreach (var move in changes.Moved)
            await _collection.SetPayloadAsync(BySource(move.FromPath), ChunkPayload.Moved(move.To.RelativePath)).ConfigureAwait(false);

        var work = changes.Added.Concat(changes.Changed).ToList();
        long chunks = 0;
        int done = 0;
        // Files are loaded and chunked on another thread into windows of about EmbeddingWindow chunks, one window ahead
        // of the one being embedded and stored: on two cores, preparing the next window overlaps embedding this one.
        // Each window is embedded in one call; its files are then stored one at a time, in order.
        var prepared = Channel.CreateBounded<List<PreparedFile>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stopPreparing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var preparing = Task.Run(() => PrepareAsync(work, prepared.Writer, stopPreparing.Token), CancellationToken.None);
        try
        {
            await foreach (var window in prepared.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var embedded = await EmbedAsync(window, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < window.Count; i++)
                {
                    var file = window[i];
                    // The reader hands out windows already waiting without looking at the token: stop between files here.
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new IndexProgress(done, work.Count, chunks, clock.Elapsed, file.Scanned.RelativePath));
                    if (file.Chunks is null)
                    {
                        skipped.Add($"{file.Scanned.RelativePath}: {file.Loaded.Skip?.ToString() ?? "no text"}");
                        await _collection.DeleteAsync(BySource(file.Scanned.RelativePath)).ConfigureAwait(false); // an old version must not linger
                    }
                    else
                    {
                        chunks += await StoreAsync(embedded[i], file.Scanned.RelativePath).ConfigureAwait(false);
                    }
                    done++;
                }
            }
        }
        finally
        {
            // On an error or cancellation here, the preparing thread stops at its next file.
            stopPreparing.Cancel();
            await preparing.ConfigureAwait(false);
        }
        progress?.Report(new IndexProgress(done, work.Count, chunks, clock.Elapsed, null));
        return new IndexReport
        {
            Indexed = work.Count - skipped.Count(s => work.Any(w => s.StartsWith(w.RelativePath + ":", StringComparison.Ordinal))),
            Unchanged = changes.Unchanged.Count,
            Removed = changes.Deleted.Count,
            Moved = changes.Moved.Count,
            Skipped = skipped,
            Chunks = chunks,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>
    /// Indexes one document held in memory (not a file of a folder) under <paramref name="source"/>: its old chunks are
    /// removed and its new ones embedded and stored, exactly as <see cref="IndexAsync"/> stores a file. Returns the
    /// number of chunks. <paramref name="contentHash"/> is stored as <c>file_hash</c>. Note that indexing a folder into
    /// the same collection later removes the sources the folder does not hold.
    /// </summary>
    public async Task<int> IndexDocumentAsync(ExtractedDocument document, string source, string contentHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(contentHash);
        // Embedded (and the vectors' dimension checked) before the collection's indexes or points change.
        var chunks = _chunker.Chunk(document);
        var vectors = await _embedder.GenerateAsync(chunks.Select(c => c.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
        var points = Points(chunks, vectors, 0, source, contentHash);
        await EnsureIndexesAsync().ConfigureAwait(false);
        return await StoreAsync(points, source).ConfigureAwait(false);
    }

    /// <summary>
    /// A file loaded and chunked, ready to embed and store; <see cref="Chunks"/> is null when it has no text.
    /// <see cref="Hash"/> is the hash of the content loaded (the scan's, unless the file changed since).
    /// </summary>
    private sealed record PreparedFile(ScannedFile Scanned, string Hash, LoadResult Loaded, IReadOnlyList<TextChunk>? Chunks);

    /// <summary>
    /// Loads and chunks <paramref name="files"/> in order into <paramref name="output"/>, a window at a time, then
    /// completes it (with the error, if one stops it, after the files prepared before it). The first window is the
    /// first file alone, so the model loads (a second or more) while the next window is prepared.
    /// </summary>
    private async Task PrepareAsync(IReadOnlyList<ScannedFile> files, ChannelWriter<List<PreparedFile>> output, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var window = new List<PreparedFile>();
        int windowChunks = 0;
        bool first = true;
        try
        {
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (loaded, hash) = Load(file);
                var chunks = loaded.Document is { } document && document.Text.Trim().Length > 0 ? _chunker.Chunk(document) : null;
                window.Add(new PreparedFile(file, hash, loaded, chunks));
                windowChunks += chunks?.Count ?? 0;
                if (first || windowChunks >= EmbeddingWindow)
                {
                    first = false;
                    await output.WriteAsync(window, cancellationToken).ConfigureAwait(false);
                    window = [];
                    windowChunks = 0;
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        try
        {
            if (window.Count > 0 && failure is not OperationCanceledException) await output.WriteAsync(window, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            failure ??= e;
        }
        finally
        {
            output.TryComplete(failure);
        }
    }

    /// <summary>Loads a file, from the extraction cache when it holds the scanned content; returns the hash of the content loaded.</summary>
    private (LoadResult Loaded, string Hash) Load(ScannedFile file)
    {
        var options = LoaderOptions.Default;
        var format = DocumentLoader.FormatOf(file.FullPath);
        if (format is { } known && _extractions?.Get(file.Hash, known, options, file.RelativePath) is { } cached)
            return (LoadResult.Loaded(cached), file.Hash);
        // ReadFile skips an unsupported format, so past it the format is known and the bytes are there.
        if (DocumentLoader.ReadFile(file.FullPath, file.RelativePath, options, out byte[]? content) is { } skipped)
            return (skipped, file.Hash);
        // The file may have changed since the scan hashed it: key the cache, and the stored chunks, by what was read.
        string hash = FolderScanner.HashBytes(content);
        var loaded = DocumentLoader.Load(content!, file.RelativePath, format!.Value, options);
        if (loaded.Document is { } document) _extractions?.Put(hash, options, document);
        return (loaded, hash);
    }

    /// <summary>The points of each file of <paramref name="window"/> (empty for a file without chunks), from one call to the model.</summary>
    private async Task<List<Point>[]> EmbedAsync(List<PreparedFile> window, CancellationToken cancellationToken)
    {
        var texts = window.SelectMany(f => f.Chunks ?? []).Select(c => c.Text).ToList();
        var vectors = texts.Count == 0 ? [] : await _embedder.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var points = new List<Point>[window.Count];
        int first = 0;
        for (int i = 0; i < window.Count; i++)
        {
            var file = window[i];
            points[i] = Points(file.Chunks ?? [], vectors, first, file.Scanned.RelativePath, file.Hash);
            first += points[i].Count;
        }
        return points;
    }

    /// <summary>
    /// A source's chunks as points, their vectors <paramref name="vectors"/> from <paramref name="first"/> on; throws
    /// <see cref="ArgumentException"/> when the vectors do not fit the collection's dimension.
    /// </summary>
    private List<Point> Points(IReadOnlyList<TextChunk> pieces, GeneratedEmbeddings<Embedding<float>> vectors, int first, string source, string hash)
    {
        var points = new List<Point>(pieces.Count);
        for (int i = 0; i < pieces.Count; i++)
        {
            var vector = vectors[first + i].Vector;
            if (vector.Length != _collection.Options.Dimension)
                throw new ArgumentException($"The embedding model makes {vector.Length}-dimensional vectors, but collection '{_collection.Name}' holds {_collection.Options.Dimension}-dimensional ones.", nameof(vectors));
            points.Add(new Point(ChunkId(source, i), vector, Payload(pieces[i], source, hash)));
        }
        return points;
    }

    /// <summary>
    /// Replaces a source's chunks with <paramref name="points"/> in one logged write (<see cref="Collection.Replace"/>),
    /// so a crash leaves the old chunks or the new ones, never neither. A source of more than
    /// <see cref="Collection.MaxBatch"/> chunks has its remaining chunks upserted after that write.
    /// </summary>
    private async Task<int> StoreAsync(List<Point> points, string source)
    {
        if (points.Count == 0)
        {
            await _collection.DeleteAsync(BySource(source)).ConfigureAwait(false);
            return 0;
        }
        int first = Math.Min(Collection.MaxBatch, points.Count);
        await _collection.ReplaceAsync(BySource(source), points.GetRange(0, first)).ConfigureAwait(false);
        for (int start = first; start < points.Count; start += Collection.MaxBatch)
            await _collection.UpsertAsync(points.GetRange(start, Math.Min(Collection.MaxBatch, points.Count - start))).ConfigureAwait(false);
        return points.Count;
    }

    /// <summary>The files the collection holds chunks of: source → content hash.</summary>
    public async Task<IReadOnlyDictionary<string, string>> IndexedFilesAsync()
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        PointId? offset = null;
        do
        {
            var page = await _collection.ScrollAsync(offset, 1000).ConfigureAwait(false);
            foreach (var point in page.Points)
                if (ChunkPayload.Read(point.Payload) is { FileHash: { } hash } chunk)
                    files[chunk.Source] = hash;
            offset = page.NextOffset;
        }
        while (offset is not null);
        return files;
    }

    private async Task EnsureIndexesAsync()
    {
        var indexes = (await _collection.InfoAsync().ConfigureAwait(false)).PayloadIndexes;
        if (!indexes.ContainsKey(ChunkPayload.SourceField)) await _collection.CreatePayloadIndexAsync(ChunkPayload.SourceField, "keyword").ConfigureAwait(false);
        if (!indexes.TryGetValue(ChunkPayload.TextField, out string? schema) || schema != "text")
            await _collection.CreatePayloadIndexAsync(ChunkPayload.TextField, "text").ConfigureAwait(false);
    }

    private static Filter BySource(string source) => ChunkPayload.BySource(source);

    /// <summary>A stable id per (file, chunk number): re-indexing a file overwrites its chunks in place.</summary>
    private static PointId ChunkId(string source, int index)
    {
        var hash = XxHash128.Hash(Encoding.UTF8.GetBytes($"{source}#{index}"));
        return new PointId(new Guid(hash));
    }

    private static JsonObject Payload(TextChunk chunk, string source, string hash) => ChunkPayload.Of(chunk, source, hash).ToJson();
}
