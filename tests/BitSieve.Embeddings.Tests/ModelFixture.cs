using BitSieve.Embeddings.Onnx;

namespace BitSieve.Embeddings.Tests;

/// <summary>
/// The built-in models, each loaded once for all tests of the <see cref="ModelCollection"/> (creating an ONNX session
/// takes about a second).
/// </summary>
public sealed class ModelFixture : IDisposable
{
    private readonly Lazy<OnnxEmbeddingGenerator> _miniLm = new(() => OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.MiniLm));
    private readonly Lazy<OnnxEmbeddingGenerator> _arcticXs = new(() => OnnxEmbeddingGenerator.LoadBuiltIn(BuiltInModels.ArcticXs));

    public OnnxEmbeddingGenerator MiniLm => _miniLm.Value;

    public OnnxEmbeddingGenerator ArcticXs => _arcticXs.Value;

    public void Dispose()
    {
        if (_miniLm.IsValueCreated) _miniLm.Value.Dispose();
        if (_arcticXs.IsValueCreated) _arcticXs.Value.Dispose();
    }
}

/// <summary>Tests that share the loaded models (run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class ModelCollection : ICollectionFixture<ModelFixture>
{
    public const string Name = "Models";
}
