using System.Buffers.Binary;
using System.IO.Hashing;

namespace BitSieve.Cluster;

/// <summary>Which shard a point belongs to: a stable hash of its id, the same on every silo and in every version.</summary>
internal static class ShardRouting
{
    /// <summary>
    /// XXH64 (seed 0) of the id's bytes: an integer id as 8 bytes little-endian, a UUID as its 16 bytes (RFC 4122 order)
    /// after a marker byte, so that no integer and UUID share an input; the shard is the hash modulo the shard count.
    /// </summary>
    public static int ShardOf(PointId id, int shardNumber)
    {
        Span<byte> bytes = stackalloc byte[17];
        int length;
        if (id.IsUuid)
        {
            bytes[0] = 0xFF;
            id.Uuid.TryWriteBytes(bytes[1..], bigEndian: true, out _);
            length = 17;
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, id.Number);
            length = 8;
        }
        return (int)(XxHash64.HashToUInt64(bytes[..length]) % (ulong)shardNumber);
    }
}
