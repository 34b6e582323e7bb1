namespace BitSieve.Cluster;

/// <summary>
/// This silo's own BitSieve database (<c>--db DIR</c>): every shard replica placed on the silo is one collection of
/// it, <c>COLLECTION.shard-N</c>. Opened when the silo starts, checkpointed and closed when it stops.
/// </summary>
internal sealed class SiloDatabase(string path) : IDisposable
{
    public Database Database { get; } = Database.Open(path);

    public void Dispose() => Database.Dispose();
}
