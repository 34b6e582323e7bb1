using System.Diagnostics;
using BitSieve.Embeddings;
using BitSieve.Ingest.Chunking;
using BitSieve.Ingest.Loading;
using BitSieve.VectorData;
using Microsoft.Extensions.VectorData;
using RagConsole;

// A small retrieval-augmented console: ingest a folder of documents into a BitSieve vector store through the
// Microsoft.Extensions.VectorData connector, then answer questions with the passages that hold the answer.
//
//   dotnet run --project samples/RagConsole -c Release                       the bundled corpus and questions
//   dotnet run --project samples/RagConsole -c Release -- DIR "question" …   your folder, your questions

string folder = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "corpus");
string[] questions = args.Length > 1
    ? args[1..]
    :
    [
        "When is the Lantern Tide festival held?",
        "How long is the Salt Line railway?",
        "What is kelp bread made from?",
        "Who makes the glass bells?",
        "フェリーは何時に出発しますか？",
    ];
if (!Directory.Exists(folder))
{
    Console.Error.WriteLine($"No folder '{folder}'.");
    return 2;
}

// A fresh database for this run; a real application would keep it and re-ingest only changed files.
string databasePath = Path.Combine(Path.GetTempPath(), $"bitsieve-ragconsole-{Guid.NewGuid():N}");
try
{
    var clock = Stopwatch.StartNew();
    using var embedder = EmbeddingModels.Create("minilm");   // all-MiniLM-L6-v2, built in: no download
    Console.WriteLine($"Loaded the embedding model in {clock.ElapsedMilliseconds} ms.");

    using var store = new BitSieveVectorStore(databasePath, new BitSieveVectorStoreOptions { EmbeddingGenerator = embedder });
    var passages = store.GetCollection<string, Passage>("passages");
    await passages.EnsureCollectionExistsAsync();

    // Ingest: load each supported file, cut it into passages that follow its headings, embed and store them.
    clock.Restart();
    var chunker = new TextChunker();
    var batch = new List<Passage>();
    foreach (string path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(DocumentLoader.IsSupported).Order(StringComparer.Ordinal))
    {
        string source = Path.GetRelativePath(folder, path).Replace('\\', '/');
        var loaded = DocumentLoader.LoadFile(path, source);
        if (loaded.Document is null)
        {
            Console.WriteLine($"  skipped {source}: {loaded.Skip}");
            continue;
        }
        foreach (var chunk in chunker.Chunk(loaded.Document))
        {
            string heading = string.Join(" › ", chunk.HeadingPath);
            batch.Add(new Passage
            {
                Id = $"{source}#{chunk.Index}",
                Source = source,
                Heading = heading,
                Start = chunk.Start,
                End = chunk.End,
                Text = chunk.Text,
                Embedding = heading.Length > 0 ? $"{heading}\n{chunk.Text}" : chunk.Text,
            });
        }
    }
    await passages.UpsertAsync(batch);
    Console.WriteLine($"Ingested {batch.Count} passages from {batch.Select(p => p.Source).Distinct().Count()} files in {clock.ElapsedMilliseconds} ms.");

    // Ask: hybrid search (vector similarity fused with BM25 keywords), so that questions the English-only model
    // cannot read, such as Japanese ones, still find their passages through the keyword half.
    foreach (string question in questions)
    {
        Console.WriteLine();
        Console.WriteLine($"Q: {question}");
        var keywords = question.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int rank = 0;
        await foreach (var hit in passages.HybridSearchAsync(question, keywords, top: 3))
        {
            var p = hit.Record;
            Console.WriteLine($"  {++rank}. [{hit.Score:F4}] {p.Source} {p.Start}-{p.End}{(p.Heading.Length > 0 ? $" ({p.Heading})" : "")}");
            Console.WriteLine($"     {Snippet(p.Text, 200)}");
        }
    }

    // The same collection answers plain vector search with a LINQ filter, too.
    Console.WriteLine();
    Console.WriteLine("Vector search limited to railway.md: \"steam engine\"");
    await foreach (var hit in passages.SearchAsync("steam engine", top: 2, new VectorSearchOptions<Passage> { Filter = p => p.Source == "railway.md" }))
        Console.WriteLine($"  [{hit.Score:F3}] {hit.Record.Id}: {Snippet(hit.Record.Text, 120)}");
    return 0;
}
finally
{
    if (Directory.Exists(databasePath)) Directory.Delete(databasePath, recursive: true);
}

static string Snippet(string text, int length)
{
    string flat = string.Join(' ', text.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
    return flat.Length <= length ? flat : string.Concat(flat.AsSpan(0, length), "…");
}
