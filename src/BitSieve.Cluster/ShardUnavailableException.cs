namespace BitSieve.Cluster;

/// <summary>
/// A shard could not be reached: none of its replicas is live (or enough of them, for a write's
/// <c>write_consistency_factor</c>). The message names the collection and the shard. The HTTP API answers 503. An
/// <see cref="IOException"/>, as any store's failure to reach its data, so that code handling those (the VectorData
/// connector, which reports them as its <c>VectorStoreException</c>) handles a cluster's too.
/// </summary>
[GenerateSerializer]
public sealed class ShardUnavailableException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ShardUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message that names the shard.</summary>
    public ShardUnavailableException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the last replica's failure.</summary>
    public ShardUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
