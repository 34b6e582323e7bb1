namespace BitSieve;

/// <summary>When a write is made durable (fsync of the log) before it is acknowledged.</summary>
public enum Durability
{
    /// <summary>Every write is fsynced before it returns: an acknowledged write survives a crash or power loss.</summary>
    Always,

    /// <summary>
    /// Writes reach the operating system before they return but are fsynced only at checkpoints: they survive a
    /// process crash (kill -9), not a power loss.
    /// </summary>
    OsBuffered,
}
