namespace BitSieve.Embeddings.Tests;

/// <summary>Cosine similarity and norm in double precision, to compare embeddings.</summary>
internal static class Similarity
{
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    public static double Norm(ReadOnlySpan<float> a)
    {
        double s = 0;
        foreach (var x in a) s += (double)x * x;
        return Math.Sqrt(s);
    }
}
