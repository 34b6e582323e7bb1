using System.Diagnostics;
using System.IO.Hashing;
using System.Text.Json;
using BitSieve.Ingest.Answering;
using BitSieve.Ingest.Loading;
using BitSieve.Ingest.Pipeline;
using BitSieve.Ingest.Rag;
using BitSieve.Server.Http;
using BitSieve.Server.Metrics;
using BitSieve.Server.Qdrant;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BitSieve.Server.V1;

/// <summary>
/// BitSieve's own API under <c>/v1</c>: add documents as text (the server chunks and embeds them, as
/// <c>bitsieve index</c> does a folder) and ask questions in words (vector, lexical or hybrid search), getting back
/// passages with their source, offsets, headings, score and the cascade's trace. Answers are plain JSON objects;
/// errors have the Qdrant API's shape, <c>{"status":{"error":"…"},"time":…}</c>.
/// </summary>
public static partial class V1Api
{
    private const string Tag = "BitSieve /v1 text API";

    /// <summary>
    /// Registers what the /v1 endpoints use besides an <see cref="IDatabase"/> and the <see cref="ServerMetrics"/>: the
    /// embedding models and the chat endpoint of <paramref name="options"/>.
    /// </summary>
    internal static void AddServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton<Embedders>();
        services.AddSingleton(new ChatModel(options.LlmEndpoint is { } llm ? new ChatEndpoint(llm, options.LlmModel, options.LlmApiKey) : null));
    }

    /// <summary>Maps the /v1 endpoints.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var v1 = app.MapGroup("/v1").WithTags(Tag);

        v1.MapGet("/collections", async (IDatabase db) =>
        {
            var collections = new List<CollectionSummary>();
            foreach (string name in await db.CollectionNamesAsync().ConfigureAwait(false))
            {
                // One deleted meanwhile, or that cannot be opened, is left out of the list.
                try
                {
                    collections.Add(await CollectionSummary.FromAsync(await db.GetCollectionAsync(name).ConfigureAwait(false)).ConfigureAwait(false));
                }
                catch (Exception e) when (e is KeyNotFoundException or IOException or InvalidDataException or ObjectDisposedException or CorruptFileException)
                {
                }
            }
            return TypedResults.Ok(new CollectionList(collections));
        }).WithSummary("List collections with their size and model")
            .WithMetadata(new ApiExample(null, """{"collections":[{"name":"docs","count":1200,"dimension":384,"metric":"cosine","bits":4,"model":"minilm","text_index":true}]}"""));

        v1.MapGet("/collections/{collection}", async (string collection, IDatabase db) =>
        {
            var target = await GetAsync(db, collection).ConfigureAwait(false);
            using var info = JsonDocument.Parse((await target.InfoAsync().ConfigureAwait(false)).ToJson());
            return TypedResults.Ok(new CollectionDetail(info.RootElement.Clone(), await target.GetPropertyAsync(FolderIndexer.ModelProperty).ConfigureAwait(false)));
        }).WithSummary("Describe a collection: counts, bytes per tier, files, indexes, model");

        v1.MapPut("/collections/{collection}", CreateTextCollection).WithSummary("Create an empty text collection for an embedding model")
            .WithMetadata(new RequestBody(typeof(Requests.CreateCollectionRequest)))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status409Conflict, typeof(ErrorResponse), ["application/json"])).WithDescription(
                "`model`: a built-in model's name or the server's model (the default, `bitsieve serve --model`), at the server's precision. " +
                "The collection is bound to it, as a first `documents` add would bind it; a name already taken is a 409.")
            .WithMetadata(new ApiExample("""{"model":"minilm"}""", """{"collection":"docs","model":"minilm","dimension":384}"""));

        v1.MapDelete("/collections/{collection}", async (string collection, IDatabase db) =>
            TypedResults.Ok(new CollectionDeleted(Database.IsValidName(collection) && await db.DeleteCollectionAsync(collection).ConfigureAwait(false)))).WithSummary("Delete a collection");

        v1.MapPost("/collections/{collection}/documents", AddDocuments).WithSummary("Add documents as text or files (base64)").WithMetadata(new RequestBody(typeof(Requests.AddDocumentsRequest))).WithDescription(
            "Each document is chunked (headings, paragraphs and sentence ends, English and Japanese) and embedded with the collection's model " +
            "(new collections get the server's, `bitsieve serve --model`), replacing the chunks of the same source. " +
            "`format`: text (default), markdown, html or pdf. A file's bytes go in `content_base64` instead of `text` (a pdf always does) and are " +
            "extracted by the same loaders as `bitsieve index`; a document over 64 MiB is answered 413, as is a body over the server's limit. " +
            "Nothing is indexed unless every document of the request reads. The collection is created when missing.")
            .WithMetadata(new ApiExample("""{"documents":[{"source":"guide/install.md","format":"markdown","text":"# Install\n\nRun `dotnet tool install -g bitsieve`."}]}""",
                """{"collection":"docs","model":"minilm","chunks":1,"documents":[{"source":"guide/install.md","chunks":1}],"seconds":0.12}"""));

        v1.MapGet("/collections/{collection}/documents", async (string collection, IDatabase db, Embedders embedders, HttpRequest request) =>
        {
            var target = await OpenAsync(db, embedders, collection, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return TypedResults.Ok(new DocumentList([.. (await target.DocumentsAsync().ConfigureAwait(false)).Select(d => new DocumentSummary(d.Source, d.FileHash, d.Chunks))]));
        }).WithSummary("List the documents (sources) of a collection, with their chunk counts");

        v1.MapDelete("/collections/{collection}/documents", async (string collection, string? source, IDatabase db, Embedders embedders, HttpRequest request) =>
        {
            var target = await OpenAsync(db, embedders, collection, request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (string.IsNullOrEmpty(source)) throw ApiException.BadRequest("name the document to remove: ?source=…");
            return TypedResults.Ok(new DocumentDeleted(source, await target.DeleteDocumentAsync(source).ConfigureAwait(false)));
        }).WithSummary("Remove a document's chunks (?source=…)");

        v1.MapPost("/collections/{collection}/search", Search).WithSummary("Ask a question in words").WithMetadata(new RequestBody(typeof(Requests.TextSearchRequest))).WithDescription(
            "`mode`: hybrid (default: vectors and BM25 fused by each list's confidence), vector, or lexical. `quality`: \"exact\" or a recall target " +
            "(default 0.995). `filter`: Qdrant's filter language over the chunks' payloads (source, headings, page, …). " +
            "Each result has its source, UTF-16 offsets into the document's text, headings, page, text and score; `trace` says what each tier of the cascade did.")
            .WithMetadata(new ApiExample("""{"query":"how do I install it?","k":3,"mode":"hybrid"}""",
                """{"query":"how do I install it?","mode":"hybrid","model":"minilm","results":[{"id":"0b6f3c2e-5d1a-4f7e-9c3b-2a8d4e6f1b7c","score":0.0325,"source":"guide/install.md","start":0,"end":52,"page":null,"headings":["Install"],"text":"# Install\n\nRun `dotnet tool install -g bitsieve`."}],"trace":{"t1":{"seen":1200,"kept":37,"us":210},"t2":{"seen":37,"kept":12,"us":40},"t3":{"seen":14,"us":30}}}"""));

        MapAsk(v1);
    }

    private static async Task<Ok<CollectionCreated>> CreateTextCollection(string collection, HttpRequest request, IDatabase db, Embedders embedders)
    {
        using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: true).ConfigureAwait(false);
        string? model = new JsonFields(body.RootElement, "").String("model");
        // A client names a built-in model or the server's own, never a path or URL: those the operator chooses (--model).
        if (model is not null && !Embeddings.Onnx.BuiltInModels.IsBuiltIn(model) && model != embedders.DefaultModel)
            throw ApiException.WrongInput($"`model`: `{model}` is neither a built-in model ({string.Join(", ", Embeddings.Onnx.BuiltInModels.Names)}) nor this server's ({embedders.DefaultModel})");
        if (!Database.IsValidName(collection))
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, $"Validation error in path parameters: [collection: `{collection}` is not a valid collection name]");
        if (await db.CollectionExistsAsync(collection).ConfigureAwait(false))
            throw new ApiException(StatusCodes.Status409Conflict, $"Conflict: collection `{collection}` already exists");
        RagCollection created;
        try
        {
            created = await Rag(db, embedders).OpenOrCreateAsync(collection, model is null ? null : new ModelRequest(model, embedders.DefaultPrecision),
                request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw ApiException.WrongInput($"cannot load the model `{model}`: {e.Message}");
        }
        return TypedResults.Ok(new CollectionCreated(collection, created.ModelName, created.Collection.Options.Dimension));
    }

    private static async Task<Ok<DocumentsAdded>> AddDocuments(string collection, HttpRequest request, IDatabase db, Embedders embedders, ServerOptions options)
    {
        var clock = Stopwatch.StartNew();
        using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
        var add = AddDocumentsRequest.Parse(body.RootElement, options.MaxPointsPerRequest, options.MaxDocumentBytes);
        var limits = new LoaderOptions { MaxFileBytes = options.MaxDocumentBytes };
        // Everything is checked (every document's text, the collection's name, model and dimension) before anything changes.
        var loaded = new List<(string Source, Ingest.Documents.ExtractedDocument Document, string Hash)>(add.Documents.Count);
        foreach (var document in add.Documents)
        {
            byte[] bytes = document.Content;
            var result = DocumentLoader.Load(bytes, document.Source, document.Format, limits);
            if (result.Document is null || result.Document.Text.Trim().Length == 0)
                throw ApiException.WrongInput($"the document \"{document.Source}\" has no text to index{(result.Skip is { } skip ? $": {skip}" : "")}");
            loaded.Add((document.Source, result.Document, Convert.ToHexStringLower(XxHash128.Hash(bytes))));
        }
        if (!Database.IsValidName(collection))
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, $"Validation error in path parameters: [collection: `{collection}` is not a valid collection name]");
        var counts = new List<(string Source, int Chunks)>();
        string model;
        try
        {
            var target = await Rag(db, embedders).OpenOrCreateAsync(collection, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
            model = target.ModelName;
            foreach (var (source, document, hash) in loaded)
                counts.Add((source, await target.IndexDocumentAsync(document, source, hash, request.HttpContext.RequestAborted).ConfigureAwait(false)));
        }
        catch (ModelMismatchException e)
        {
            throw await MismatchAsync(e, db).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw ApiException.WrongInput(e.Message);
        }
        return TypedResults.Ok(new DocumentsAdded(collection, model, counts.Sum(c => c.Chunks),
            counts.Select(c => new DocumentChunks(c.Source, c.Chunks)).ToList(), clock.Elapsed.TotalSeconds));
    }

    private static async Task<Ok<TextSearchResponse>> Search(string collection, HttpRequest request, IDatabase db, Embedders embedders, ServerOptions options, ServerMetrics metrics)
    {
        var target = await GetAsync(db, collection).ConfigureAwait(false);
        using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
        var search = TextSearchRequest.Parse(body.RootElement, options.MaxLimit);
        var (result, model) = await FindAsync(db, target, search.Query, search.K, search.Mode, search.Quality, search.Filter, embedders, options, metrics, "this search",
            request.HttpContext.RequestAborted).ConfigureAwait(false);
        using var trace = JsonDocument.Parse(result.Trace.ToJson());
        return TypedResults.Ok(new TextSearchResponse(search.Query, search.Mode.ToString().ToLowerInvariant(), model, result.Hits.Select(Passage.From).ToList(), trace.RootElement.Clone()));
    }

    /// <summary>
    /// The passages for a question in words, as <c>/search</c> and <c>/ask</c> find them (the response budget checked
    /// first), and the embedding model used (null for a lexical search).
    /// </summary>
    private static async Task<(PointSearchResult Result, string? Model)> FindAsync(IDatabase db, IPointCollection target, string query, int k, TextSearchMode mode, Quality quality,
        Filter? filter, Embedders embedders, ServerOptions options, ServerMetrics metrics, string what, CancellationToken cancellationToken)
    {
        var info = await target.InfoAsync().ConfigureAwait(false);
        var budget = new ResponseBudget(info, options, what);
        budget.Add(k, withPayload: true, withVector: false);
        budget.Check();
        if (mode != TextSearchMode.Vector && !info.PayloadIndexes.Values.Contains("text"))
            throw ApiException.BadRequest($"collection `{target.Name}` has no text index (it was not filled by /v1 documents or bitsieve index): search it with \"mode\":\"vector\"");

        var rag = await Rag(db, embedders).OpenAsync(target.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        var ragMode = mode switch { TextSearchMode.Vector => RagSearchMode.Vector, TextSearchMode.Lexical => RagSearchMode.Lexical, _ => RagSearchMode.Hybrid };
        PointSearchResult result;
        try
        {
            result = await rag.SearchAsync(query, new RagSearchOptions { Mode = ragMode, Search = new SearchOptions { K = k, Quality = quality }, Filter = filter },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ModelMismatchException e)
        {
            throw await MismatchAsync(e, db).ConfigureAwait(false);
        }
        metrics.Search(target.Name, "text-" + mode.ToString().ToLowerInvariant(), result.Trace);
        return (result, mode == TextSearchMode.Lexical ? null : rag.ModelName);
    }

    /// <summary>
    /// The RAG service of a request: the server's database (a single node's, or the cluster a silo belongs to) and models;
    /// a collection that names no model gets the server's (<c>bitsieve serve --model</c>, <c>--precision</c>).
    /// </summary>
    private static RagService Rag(IDatabase db, Embedders embedders) =>
        new(db, embedders.Get, new RagServiceOptions { DefaultModel = new ModelRequest(embedders.DefaultModel, embedders.DefaultPrecision) });

    /// <summary>An existing collection; a 404 in Qdrant's words when there is none.</summary>
    private static async Task<IPointCollection> GetAsync(IDatabase db, string collection)
    {
        try
        {
            return Database.IsValidName(collection) ? await db.GetCollectionAsync(collection).ConfigureAwait(false) : throw ApiException.CollectionNotFound(collection);
        }
        catch (KeyNotFoundException)
        {
            throw ApiException.CollectionNotFound(collection);
        }
    }

    /// <summary>An existing collection opened by the RAG service with the model it is bound to; a 404 when there is none.</summary>
    private static async Task<RagCollection> OpenAsync(IDatabase db, Embedders embedders, string collection, CancellationToken cancellationToken)
    {
        try
        {
            return Database.IsValidName(collection) ? await Rag(db, embedders).OpenAsync(collection, cancellationToken: cancellationToken).ConfigureAwait(false) : throw ApiException.CollectionNotFound(collection);
        }
        catch (KeyNotFoundException)
        {
            throw ApiException.CollectionNotFound(collection);
        }
    }

    /// <summary>
    /// A model mismatch as an answer: 409 when the collection is bound to another model than the one it would be
    /// embedded with now (its model files changed), 400 when it names none and holds vectors of another dimension.
    /// </summary>
    private static async Task<ApiException> MismatchAsync(ModelMismatchException e, IDatabase db) => e.Bound is null
        ? ApiException.WrongInput($"collection `{e.Collection}` holds {(await GetAsync(db, e.Collection).ConfigureAwait(false)).Options.Dimension}-dimensional vectors, but the model `{e.Requested.Model}` makes " +
            $"{e.Requested.Dimension}-dimensional ones: add documents to a collection created by /v1 or bitsieve index (or to a new one)")
        : new ApiException(StatusCodes.Status409Conflict, $"Conflict: {e.Message}");
}
