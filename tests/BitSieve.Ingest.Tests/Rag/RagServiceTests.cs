using System.Text.Json.Nodes;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Pipeline;
using BitSieve.Ingest.Rag;

namespace BitSieve.Ingest.Tests.Rag;

/// <summary>
/// <see cref="RagService"/>: a collection is bound to the model it was created with, another model is refused before
/// anything is written, collections from before bindings keep working, and a re-index swaps in a whole new collection
/// while the old one answers searches, or, interrupted, leaves the old one as it was.
/// </summary>
public sealed class RagServiceTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly TempDirectory _db = new();
    private readonly FakeModels _models = new();
    private readonly Database _database;
    private readonly RagService _rag;

    public RagServiceTests()
    {
        _files.Write("a.txt", "Sockets are endpoints of a connection.");
        _files.Write("b.md", "# Packages\n\napt-get installs packages.\n\n## Removal\n\napt-get remove removes them.");
        _database = Database.Open(_db.Path);
        _rag = new RagService(_database, _models.Factory, new RagServiceOptions { DefaultModel = new ModelRequest("letters") });
    }

    public void Dispose()
    {
        _database.Dispose();
        _files.Dispose();
        _db.Dispose();
    }

    private static RagSearchOptions Vector(int k = 5) => new() { Mode = RagSearchMode.Vector, Search = new SearchOptions { K = k } };

    [Fact]
    public async Task A_new_collection_stores_the_whole_binding_and_another_model_of_the_same_dimension_is_refused_naming_both()
    {
        var docs = await _rag.OpenOrCreateAsync("docs", new ModelRequest("letters"));
        await docs.IndexFolderAsync(_files.Path);
        long count = await docs.Collection.CountPointsAsync();
        Assert.Equal(new ModelBinding("letters", "fp32", "fake:letters:fp32", 8, "", ""), docs.Bound);

        // The sequence: a new file, then indexing with another model of the same dimension.
        _files.Write("c.txt", "Certificates must be verified for TLS.");
        var error = await Assert.ThrowsAsync<ModelMismatchException>(() => _rag.OpenOrCreateAsync("docs", new ModelRequest("reversed")));
        Assert.Contains("letters (fp32, 8 dimensions, fake:letters:fp32)", error.Message, StringComparison.Ordinal);
        Assert.Contains("reversed (fp32, 8 dimensions, fake:reversed:fp32)", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ModelMismatchException>(() => _rag.OpenAsync("docs", new ModelRequest("letters", "int8")));
        Assert.Equal(count, await docs.Collection.CountPointsAsync());
        Assert.Equal(["a.txt", "b.md"], (await docs.DocumentsAsync()).Select(d => d.Source));

        // Without a model, or with its own, it indexes and searches with the bound one.
        var again = await _rag.OpenAsync("docs");
        Assert.Equal(1, (await again.IndexFolderAsync(_files.Path)).Indexed);
        Assert.Equal("letters", again.ModelName);
        Assert.NotEmpty((await again.SearchAsync("sockets", Vector())).Hits);
        await _rag.OpenAsync("docs", new ModelRequest("letters"));
    }

    [Fact]
    public async Task A_model_whose_identity_changed_since_indexing_is_refused_on_search()
    {
        var docs = await _rag.OpenOrCreateAsync("docs");
        await docs.IndexFolderAsync(_files.Path);
        // As if the files of the model the collection names had changed under it.
        await docs.Collection.SetPropertyAsync("embedding_identity", """{"identity":"fake:letters:older","dimension":8,"query_prefix":"","document_prefix":""}""");

        var reopened = await _rag.OpenAsync("docs");
        var error = await Assert.ThrowsAsync<ModelMismatchException>(() => reopened.SearchAsync("sockets", Vector()));
        Assert.Equal("fake:letters:older", error.Bound!.Identity);
        // A lexical search needs no model.
        Assert.NotEmpty((await reopened.SearchAsync("sockets", new RagSearchOptions { Mode = RagSearchMode.Lexical })).Hits);
    }

    [Fact]
    public async Task Collections_from_before_bindings_keep_working_and_are_bound_by_their_model_name()
    {
        // As FolderIndexer alone left them: the model's name and no precision, identity or dimension.
        var legacy = _database.CreateCollection("legacy", new CollectionOptions { Dimension = 8 });
        legacy.SetProperty(FolderIndexer.ModelProperty, "letters");
        var bare = _database.CreateCollection("bare", new CollectionOptions { Dimension = 8 });
        var indexer = await _rag.OpenAsync("legacy");
        Assert.Equal(new ModelBinding("letters", "fp32", null, 8, "", ""), indexer.Bound);
        await Assert.ThrowsAsync<ModelMismatchException>(() => _rag.OpenAsync("legacy", new ModelRequest("reversed")));

        Assert.Equal(2, (await indexer.IndexFolderAsync(_files.Path)).Indexed);
        Assert.NotEmpty((await indexer.SearchAsync("sockets", Vector())).Hits);
        Assert.Equal("fake:letters:fp32", (await _rag.OpenAsync("legacy")).Bound!.Identity); // bound whole by its first write

        // A collection that names no model (made through the Qdrant API) takes the default model when first indexed.
        var opened = await _rag.OpenAsync("bare");
        Assert.Null(opened.Bound);
        await opened.IndexFolderAsync(_files.Path);
        Assert.Equal("letters", (await _rag.OpenAsync("bare")).Bound!.Model);
        Assert.Equal("letters", bare.GetProperty(FolderIndexer.ModelProperty));

        var wide = _database.CreateCollection("four", new CollectionOptions { Dimension = 4 });
        var tooWide = await _rag.OpenAsync("four");
        var error = await Assert.ThrowsAsync<ModelMismatchException>(() => tooWide.IndexFolderAsync(_files.Path));
        Assert.Null(error.Bound);
        Assert.Equal(0, wide.Count);
        Assert.Null(wide.GetProperty(FolderIndexer.ModelProperty));
    }

    [Fact]
    public async Task Reindex_swaps_in_the_new_model_while_the_old_collection_answers_searches_until_the_swap()
    {
        var old = await _rag.OpenOrCreateAsync("docs", new ModelRequest("letters"));
        await old.IndexFolderAsync(_files.Path);
        _database.GetCollection("docs").CreatePayloadIndex("headings", "keyword");
        var before = (await old.SearchAsync("sockets", Vector())).Hits.Select(h => (h.Id, h.Score)).ToList();
        var during = new List<List<(PointId, float)>>();
        var question = (await old.EmbedQueriesAsync(["sockets"]))[0];
        var oldCollection = _database.GetCollection("docs");

        var (swapped, report) = await _rag.ReindexAsync("docs", new ModelRequest("wide"), _files.Path, new SynchronousProgress(_ =>
            during.Add([.. oldCollection.Search(question.Span, Vector().Search).Hits.Select(h => (h.Id, h.Score))])));

        Assert.Equal(2, report.Indexed);
        Assert.NotEmpty(during);
        Assert.All(during, hits => Assert.Equal(before, hits)); // the old vectors, unchanged, while the new ones were written
        var reopened = await _rag.OpenAsync("docs");
        Assert.Equal(new ModelBinding("wide", "fp32", "fake:wide:fp32", 12, "", ""), reopened.Bound);
        Assert.Equal(12, reopened.Collection.Options.Dimension);
        Assert.Equal(await swapped.Collection.CountPointsAsync(), await reopened.Collection.CountPointsAsync());
        Assert.Equal("keyword", (await reopened.Collection.InfoAsync()).PayloadIndexes["headings"]);
        Assert.Equal(["docs"], _database.CollectionNames());
        Assert.NotEmpty((await reopened.SearchAsync("sockets", Vector())).Hits);
    }

    [Fact]
    public async Task An_interrupted_reindex_leaves_the_old_collection_as_it_was_and_the_next_one_starts_over()
    {
        _files.Write("c.txt", "Certificates must be verified for TLS.");
        var old = await _rag.OpenOrCreateAsync("docs", new ModelRequest("letters"));
        await old.IndexFolderAsync(_files.Path);
        var points = Snapshot(_database.GetCollection("docs"));

        _models.FailAfter = _models.DocumentBatches + 1; // the model dies on its second call: the files after the first
        await Assert.ThrowsAsync<IOException>(() => _rag.ReindexAsync("docs", new ModelRequest("reversed"), _files.Path));
        _models.FailAfter = null;

        _database.Dispose();
        using (var reopened = Database.Open(_db.Path))
        {
            var docs = reopened.GetCollection("docs");
            Assert.Equal(points, Snapshot(docs));
            Assert.Equal("letters", docs.GetProperty(FolderIndexer.ModelProperty));
            Assert.Equal("docs", reopened.GetCollection("docs" + RagService.ReindexSuffix).GetProperty("reindex_of"));

            var rag = new RagService(reopened, _models.Factory);
            await rag.ReindexAsync("docs", new ModelRequest("reversed"), _files.Path);
            Assert.Equal("reversed", (await rag.OpenAsync("docs")).Bound!.Model);
            Assert.Equal(points.Count, reopened.GetCollection("docs").Count);
            Assert.Equal(["docs"], reopened.CollectionNames());
        }
    }

    [Fact]
    public async Task A_collection_in_the_way_of_a_reindex_is_not_deleted()
    {
        var docs = await _rag.OpenOrCreateAsync("docs");
        await docs.IndexFolderAsync(_files.Path);
        _database.CreateCollection("docs.reindex", new CollectionOptions { Dimension = 3 }).Upsert([new Point(1UL, new float[] { 1, 2, 3 })]);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _rag.ReindexAsync("docs", new ModelRequest("wide"), _files.Path));
        Assert.Contains("in the way", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _database.GetCollection("docs.reindex").Count);
    }

    [Fact]
    public async Task An_empty_unmarked_collection_left_by_a_crash_between_creation_and_mark_does_not_stop_the_next_reindex()
    {
        // CI killed a re-index right after NAME.reindex appeared, before its reindex_of mark was written.
        var docs = await _rag.OpenOrCreateAsync("docs");
        await docs.IndexFolderAsync(_files.Path);
        _database.CreateCollection("docs.reindex", new CollectionOptions { Dimension = 3 });
        var (swapped, _) = await _rag.ReindexAsync("docs", new ModelRequest("wide"), _files.Path);
        Assert.Equal("wide", swapped.Bound!.Model);
        Assert.Equal(["docs"], _database.CollectionNames());
    }

    [Fact]
    public async Task Documents_are_listed_and_deleted_by_source_and_a_document_indexed_from_memory_is_one_of_them()
    {
        var docs = await _rag.OpenOrCreateAsync("docs");
        await docs.IndexFolderAsync(_files.Path);
        var note = DocumentLoader.Load("Hello sockets."u8.ToArray(), "notes/hello.txt", Documents.DocumentFormat.PlainText).Document!;
        Assert.Equal(1, await docs.IndexDocumentAsync(note, "notes/hello.txt", "h1"));

        var listed = await docs.DocumentsAsync();
        Assert.Equal(["a.txt", "b.md", "notes/hello.txt"], listed.Select(d => d.Source));
        Assert.Equal(new IndexedDocument("notes/hello.txt", "h1", 1), listed[2]);
        Assert.Equal(1, await docs.DeleteDocumentAsync("notes/hello.txt"));
        Assert.Equal(0, await docs.DeleteDocumentAsync("notes/hello.txt"));
        Assert.Equal(["a.txt", "b.md"], (await docs.DocumentsAsync()).Select(d => d.Source));
    }

    [Fact]
    public void The_chunk_payload_round_trips_and_other_payloads_are_not_chunks()
    {
        var chunk = new ChunkPayload("a/b.md", 3, 40, "text", ["Top", "Sub"], 2, 1, "abc");
        var read = ChunkPayload.Read(JsonNode.Parse(chunk.ToJson().ToJsonString())!.AsObject())!;
        Assert.Equal((chunk.Source, chunk.Start, chunk.End, chunk.Text, chunk.Page, chunk.Chunk, chunk.FileHash), (read.Source, read.Start, read.End, read.Text, read.Page, read.Chunk, read.FileHash));
        Assert.Equal(chunk.Headings, read.Headings);
        Assert.Null(ChunkPayload.Read(new JsonObject { ["source"] = 7 }));
        Assert.Null(ChunkPayload.Read(null));
        Assert.Equal(new ChunkPayload("x", 0, 0, "", [], null, 0, null) with { Headings = read.Headings }, ChunkPayload.Read(new JsonObject { ["source"] = "x", ["start"] = "no" })! with { Headings = read.Headings });
    }

    private static List<(PointId Id, string Payload, string Vector)> Snapshot(Collection collection) =>
        [.. collection.Scroll(null, 1000, withVector: true).Points.Select(p => (p.Id, p.Payload!.ToJsonString(), string.Join(",", p.Vector!)))
            .OrderBy(p => p.Id.ToString(), StringComparer.Ordinal)];

    private sealed class SynchronousProgress(Action<IndexProgress> report) : IProgress<IndexProgress>
    {
        public void Report(IndexProgress value) => report(value);
    }
}
