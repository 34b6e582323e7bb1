using BitSieve.Ingest.Pipeline;

namespace BitSieve.Ingest.Rag;

public sealed partial class RagService
{
    /// <summary>The property that marks a collection as a re-index under way of the collection it names.</summary>
    internal const string ReindexOfProperty = "reindex_of";

    /// <summary>The suffix of the collection a re-index of a collection fills (<c>docs</c> → <c>docs.reindex</c>).</summary>
    public const string ReindexSuffix = ".reindex";

    /// <summary>
    /// Re-embeds <paramref name="folder"/> with <paramref name="model"/> into a new collection beside
    /// <paramref name="name"/> (<c>NAME.reindex</c>, with the same options and payload indexes) and then swaps it in with
    /// <see cref="BitSieve.Database.ReplaceCollection"/>: until the swap, <paramref name="name"/> keeps its vectors, binding and
    /// answers searches; an error, a cancellation or a crash before it leaves <paramref name="name"/> as it was (the
    /// next re-index starts the new collection over). Without a collection <paramref name="name"/> this is a plain
    /// <see cref="OpenOrCreateAsync"/> and <see cref="RagCollection.IndexFolderAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A collection <c>NAME.reindex</c> holding points exists that is not a re-index of <paramref name="name"/>.</exception>
    /// <exception cref="NotSupportedException">The service runs over a cluster, not an embedded database.</exception>
    public async Task<(RagCollection Collection, IndexReport Report)> ReindexAsync(string name, ModelRequest model, string folder,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        var database = _embedded ?? throw new NotSupportedException($"Re-indexing swaps two collections of one embedded database; {Database.Location} is not one: index into a new collection instead.");
        if (!database.CollectionExists(name))
        {
            var fresh = await OpenOrCreateAsync(name, model, cancellationToken).ConfigureAwait(false);
            return (fresh, await fresh.IndexFolderAsync(folder, progress, cancellationToken).ConfigureAwait(false));
        }
        var old = database.GetCollection(name);
        string stagingName = name + ReindexSuffix;
        if (database.CollectionExists(stagingName))
        {
            // Marked as a re-index of this collection, or empty and unmarked: a crash between the creation and the mark
            // leaves an empty collection, and deleting one that holds no point loses nothing.
            var leftover = database.GetCollection(stagingName);
            if (leftover.GetProperty(ReindexOfProperty) != name && leftover.Count > 0)
                throw new InvalidOperationException($"collection '{stagingName}' is in the way of re-indexing '{name}' (it is not an unfinished re-index of it): delete or rename it");
            database.DeleteCollection(stagingName); // what an interrupted re-index left: start over
        }

        var (embedder, binding) = await LoadAsync(model, cancellationToken).ConfigureAwait(false);
        var staging = database.CreateCollection(stagingName, old.Options with { Dimension = binding.Dimension });
        staging.SetProperty(ReindexOfProperty, name);
        await binding.WriteAsync(staging).ConfigureAwait(false);
        foreach (var (field, schema) in old.Info().PayloadIndexes) staging.CreatePayloadIndex(field, schema);
        var report = await new RagCollection(this, staging, binding, model, embedder, binding).IndexFolderAsync(folder, progress, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var swapped = database.ReplaceCollection(name, stagingName);
        // Cleared only after the swap: a crash before it leaves a marked NAME.reindex, which the next re-index starts over.
        swapped.SetProperty(ReindexOfProperty, "");
        return (new RagCollection(this, swapped, binding, model, embedder, binding), report);
    }
}
