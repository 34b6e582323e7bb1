using System.Diagnostics;
using BitSieve;
using BitSieve.Embeddings;
using BitSieve.Ingest.Rag;
using Microsoft.Extensions.AI;

// A small retrieval-augmented console on BitSieve's RAG service (BitSieve.Ingest.Rag), the one the bitsieve command
// and the server's /v1 API call: index a folder into a collection bound to its embedding model, then answer questions
// with the passages that hold the answer.
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

// A fresh database for this run; a real application would keep it: indexing again embeds only changed files.
string databasePath = Path.Combine(Path.GetTempPath(), $"bitsieve-ragconsole-{Guid.NewGuid():N}");
var models = new List<IEmbeddingGenerator<string, Embedding<float>>>();
try
{
    var clock = Stopwatch.StartNew();
    using var database = Database.Open(databasePath);
    // The service asks for models by name and precision; the application owns (and disposes) what it loads.
    var rag = new RagService(database, (model, precision) =>
    {
        var generator = EmbeddingModels.Create(model);   // minilm: all-MiniLM-L6-v2, built in: no download
        models.Add(generator);
        return generator;
    });

    // Index: load each supported file, cut it into passages that follow its headings, embed and store them. The
    // collection remembers the model: opening it later with another one is refused (ModelMismatchException).
    var passages = await rag.OpenOrCreateAsync("passages", new ModelRequest("minilm"));
    var report = await passages.IndexFolderAsync(folder);
    foreach (string skipped in report.Skipped) Console.WriteLine($"  skipped {skipped}");
    Console.WriteLine($"Indexed {report.Chunks} passages from {report.Indexed} files in {clock.ElapsedMilliseconds} ms.");

    // Ask: hybrid search (vector similarity fused with BM25 keywords), so that questions the English-only model
    // cannot read, such as Japanese ones, still find their passages through the keyword half.
    foreach (string question in questions)
    {
        Console.WriteLine();
        Console.WriteLine($"Q: {question}");
        var result = await passages.SearchAsync(question, new RagSearchOptions { Search = new SearchOptions { K = 3 } });
        int rank = 0;
        foreach (var hit in result.Hits)
        {
            var p = ChunkPayload.Read(hit.Payload)!;
            string heading = string.Join(" › ", p.Headings);
            Console.WriteLine($"  {++rank}. [{hit.Score:F4}] {p.Source} {p.Start}-{p.End}{(heading.Length > 0 ? $" ({heading})" : "")}");
            Console.WriteLine($"     {Snippet(p.Text, 200)}");
        }
    }

    // Vector search limited to one document, with a filter over the chunks' payloads.
    Console.WriteLine();
    Console.WriteLine("Vector search limited to railway.md: \"steam engine\"");
    var railway = await passages.SearchAsync("steam engine",
        new RagSearchOptions { Mode = RagSearchMode.Vector, Search = new SearchOptions { K = 2 }, Filter = ChunkPayload.BySource("railway.md") });
    foreach (var hit in railway.Hits)
        Console.WriteLine($"  [{hit.Score:F3}] {hit.Id}: {Snippet(ChunkPayload.Read(hit.Payload)!.Text, 120)}");
    return 0;
}
finally
{
    foreach (var model in models) model.Dispose();
    if (Directory.Exists(databasePath)) Directory.Delete(databasePath, recursive: true);
}

static string Snippet(string text, int length)
{
    string flat = string.Join(' ', text.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
    return flat.Length <= length ? flat : string.Concat(flat.AsSpan(0, length), "…");
}
