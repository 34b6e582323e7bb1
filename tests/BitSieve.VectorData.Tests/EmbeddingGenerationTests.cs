using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData.Tests;

/// <summary>Vectors generated from text properties, and searches by text.</summary>
public sealed class EmbeddingGenerationTests : IDisposable
{
    private const int Dimensions = 32;
    private static readonly string[] Texts =
    [
        "the lighthouse keeper trims the lamp at dusk",
        "tide tables for the northern harbour",
        "a recipe for seaweed bread",
        "storm warnings close the harbour bar",
        "the keeper logs every passing ship",
        "bread ovens in the old bakery",
        "nautical charts of the reef",
        "gulls nest on the lighthouse gallery",
    ];

    private readonly TempDatabase _db = new();
    private readonly HashingEmbeddingGenerator _generator = new(Dimensions);

    public void Dispose() => _db.Dispose();

    public sealed class Note
    {
        [VectorStoreKey] public string Id { get; set; } = "";

        [VectorStoreData(IsFullTextIndexed = true)] public string Text { get; set; } = "";

        [VectorStoreData(IsIndexed = true)] public string Topic { get; set; } = "";

        /// <summary>The text to embed; the connector stores its vector, not the text.</summary>
        [VectorStoreVector(Dimensions)] public string? Embedding { get; set; }
    }

    public sealed class PlainNote
    {
        public string Id { get; set; } = "";

        public string Text { get; set; } = "";

        public string Topic { get; set; } = "";

        public string? Embedding { get; set; }
    }

    private static List<Note> Notes() =>
        [.. Texts.Select((t, i) => new Note { Id = $"n{i}", Text = t, Topic = i % 2 == 0 ? "sea" : "land", Embedding = t })];

    private List<string> ExpectedIds(string query, Func<int, bool>? filter = null, int top = 3) =>
        Reference.Search(Enumerable.Range(0, Texts.Length), i => _generator.Embed(Texts[i]), _generator.Embed(query),
            DistanceFunction.CosineSimilarity, filter is null ? null : i => filter(i), top).Select(r => $"n{r.Record}").ToList();

    [Fact]
    public async Task A_generator_on_the_collection_options_embeds_on_upsert_and_search()
    {
        var collection = new BitSieveCollection<string, Note>(_db.Database, "notes", new BitSieveCollectionOptions { EmbeddingGenerator = _generator });
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Notes());
        Assert.Equal(Texts.Length, _generator.Calls);

        var hits = await collection.SearchAsync("harbour keeper", 3).ToListAsync();
        Assert.Equal(ExpectedIds("harbour keeper"), hits.Select(h => h.Record.Id));
        Assert.All(hits, h => Assert.Null(h.Record.Embedding));
        var filtered = await collection.SearchAsync("harbour keeper", 3, new() { Filter = n => n.Topic == "sea" }).ToListAsync();
        Assert.Equal(ExpectedIds("harbour keeper", i => i % 2 == 0), filtered.Select(h => h.Record.Id));

        await Assert.ThrowsAsync<NotSupportedException>(() => collection.SearchAsync("x", 3, new() { IncludeVectors = true }).ToListAsync().AsTask());
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync("n1", new() { IncludeVectors = true }));

        var hybrid = await collection.HybridSearchAsync("bread", ["bread"], 2).ToListAsync();
        Assert.Equal(["n2", "n5"], hybrid.Select(h => h.Record.Id).Order());
    }

    [Fact]
    public async Task A_generator_on_the_definition_or_on_the_vector_property_is_used()
    {
        VectorStoreCollectionDefinition Definition(bool onProperty) => new()
        {
            EmbeddingGenerator = onProperty ? null : _generator,
            Properties =
            [
                new VectorStoreKeyProperty(nameof(PlainNote.Id), typeof(string)),
                new VectorStoreDataProperty(nameof(PlainNote.Text), typeof(string)) { IsFullTextIndexed = true },
                new VectorStoreDataProperty(nameof(PlainNote.Topic), typeof(string)),
                new VectorStoreVectorProperty(nameof(PlainNote.Embedding), typeof(string), Dimensions) { EmbeddingGenerator = onProperty ? _generator : null },
            ],
        };
        foreach (bool onProperty in new[] { false, true })
        {
            string name = onProperty ? "on-property" : "on-definition";
            var collection = new BitSieveCollection<string, PlainNote>(_db.Database, name, new BitSieveCollectionOptions { Definition = Definition(onProperty) });
            await collection.EnsureCollectionExistsAsync();
            await collection.UpsertAsync(Texts.Select((t, i) => new PlainNote { Id = $"n{i}", Text = t, Topic = "t", Embedding = t }));
            var hits = await collection.SearchAsync("lighthouse gallery", 3).ToListAsync();
            Assert.Equal(ExpectedIds("lighthouse gallery"), hits.Select(h => h.Record.Id));
        }
    }

    public sealed class StoredVectorNote
    {
        [VectorStoreKey] public ulong Id { get; set; }

        [VectorStoreData] public string Text { get; set; } = "";

        [VectorStoreVector(Dimensions)] public ReadOnlyMemory<float> Embedding { get; set; }
    }

    [Fact]
    public async Task A_stored_vector_property_with_a_generator_searches_by_text_and_keeps_its_vectors()
    {
        using var store = new BitSieveVectorStore(_db.Database, new BitSieveVectorStoreOptions { EmbeddingGenerator = _generator });
        var collection = store.GetCollection<ulong, StoredVectorNote>("stored");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Texts.Select((t, i) => new StoredVectorNote { Id = (ulong)i, Text = t, Embedding = _generator.Embed(t) }));
        Assert.Equal(0, _generator.Calls); // stored vectors are taken as they are

        var hits = await collection.SearchAsync("recipe bread", 3, new() { IncludeVectors = true }).ToListAsync();
        Assert.Equal(ExpectedIds("recipe bread"), hits.Select(h => $"n{h.Record.Id}"));
        Assert.All(hits, h => Assert.Equal(Dimensions, h.Record.Embedding.Length));
    }
}
