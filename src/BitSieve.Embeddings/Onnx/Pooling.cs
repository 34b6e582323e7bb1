namespace BitSieve.Embeddings.Onnx;

/// <summary>How the per-token vectors of the encoder's <c>last_hidden_state</c> become one sentence vector.</summary>
public enum Pooling
{
    /// <summary>Average of the token vectors under the attention mask (all-MiniLM-L6-v2 and most sentence-transformers).</summary>
    Mean,

    /// <summary>The vector of the first token, <c>[CLS]</c> (Arctic-embed, BGE).</summary>
    Cls,
}
