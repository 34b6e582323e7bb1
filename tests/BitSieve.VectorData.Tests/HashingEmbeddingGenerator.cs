using Microsoft.Extensions.AI;

namespace BitSieve.VectorData.Tests;

/// <summary>
/// A deterministic stand-in for an embedding model: each lower-cased word adds a fixed pseudo-random unit vector
/// (seeded by the word's hash), and the sum is normalized. Texts sharing words get similar vectors.
/// </summary>
public sealed class HashingEmbeddingGenerator(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Dimensions { get; } = dimensions;

    /// <summary>How many texts it has embedded.</summary>
    public int Calls { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string value in values)
        {
            Calls++;
            result.Add(new Embedding<float>(Embed(value)));
        }
        return Task.FromResult(result);
    }

    public float[] Embed(string text)
    {
        var sum = new double[Dimensions];
        foreach (string word in text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var random = new Random(StableHash(word));
            for (int d = 0; d < Dimensions; d++) sum[d] += random.NextDouble() * 2 - 1;
        }
        double norm = Math.Sqrt(sum.Sum(v => v * v));
        return [.. sum.Select(v => norm == 0 ? 0f : (float)(v / norm))];
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static int StableHash(string word)
    {
        unchecked
        {
            int hash = (int)2166136261;
            foreach (char c in word) hash = (hash ^ c) * 16777619;
            return hash;
        }
    }
}
