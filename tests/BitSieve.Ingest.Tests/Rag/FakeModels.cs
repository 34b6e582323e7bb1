using BitSieve.Embeddings;
using BitSieve.Ingest.Rag;
using Microsoft.Extensions.AI;

namespace BitSieve.Ingest.Tests.Rag;

/// <summary>
/// Stand-in embedding models for the service's tests: <c>letters</c> (counts of a to h) and <c>reversed</c> (the same
/// counts backwards), both 8-dimensional, so nothing but the binding tells them apart; <c>wide</c> has 12 dimensions.
/// Counts the loads and the texts embedded; <see cref="FailAfter"/> makes a model throw after that many document batches.
/// </summary>
internal sealed class FakeModels
{
    public const int Dimensions = 8;

    public int Loads { get; private set; }

    public int DocumentBatches { get; private set; }

    /// <summary>Document batches (calls; an indexer makes one per window of files) after which every model throws, as a process that dies mid-run; null: never.</summary>
    public int? FailAfter { get; set; }

    public EmbedderFactory Factory => (model, precision) =>
    {
        Loads++;
        return model switch
        {
            "letters" or "reversed" or "wide" => new Model(this, model, precision),
            _ => throw new FileNotFoundException($"no model '{model}'"),
        };
    };

    private sealed class Model(FakeModels owner, string name, string precision) : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly EmbeddingModelInfo _info = new(name, $"fake:{name}:{precision}", name == "wide" ? 12 : Dimensions, "", "") { Language = "en" };

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (!EmbeddingInput.IsQuery(options))
            {
                if (owner.DocumentBatches >= owner.FailAfter) throw new IOException("the model process died");
                owner.DocumentBatches++;
            }
            var result = new GeneratedEmbeddings<Embedding<float>>();
            foreach (string text in values)
            {
                var vector = new float[_info.Dimensions];
                vector.AsSpan().Fill(1);
                foreach (char c in text.ToLowerInvariant())
                    if (c is >= 'a' and < (char)('a' + Dimensions)) vector[name == "reversed" ? Dimensions - 1 - (c - 'a') : c - 'a']++;
                result.Add(new Embedding<float>(vector));
            }
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(EmbeddingModelInfo) ? _info : null;

        public void Dispose()
        {
        }
    }
}
