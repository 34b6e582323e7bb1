using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace BitSieve.Storage;

/// <summary>
/// The checksum of one row of the points database (column <c>checksum</c>): 64 bits in two halves, so that a read
/// that does not fetch the payload can still check the row's key and id.
/// <code>
///   bits  0..31  XxHash3 (seed 0) of the payload's UTF-8 bytes, low 32 bits
///   bits 32..63  XxHash3 (seed 0) of key (8 bytes LE) ‖ id kind (1 byte: 0 integer, 1 UUID) ‖ id (8 bytes LE, or the
///                UUID's UTF-8 text) ‖ bits 0..31 (4 bytes LE), low 32 bits
/// </code>
/// The id is hashed in the form SQLite stores it (<c>num_id</c> as a signed integer, <c>uuid</c> as text).
/// </summary>
internal static class PointRowChecksum
{
    /// <summary>The checksum of a row as it is written.</summary>
    public static long Of(long key, long? number, string? uuid, string payload) => Combine(key, number, uuid, PayloadHash(payload));

    /// <summary>Whether the key and id half of a stored checksum holds for this key and id.</summary>
    public static bool IdHolds(long checksum, long key, long? number, string? uuid) =>
        Combine(key, number, uuid, (uint)checksum) == checksum;

    /// <summary>Whether the payload half of a stored checksum holds for this payload.</summary>
    public static bool PayloadHolds(long checksum, string payload) => (uint)checksum == PayloadHash(payload);

    private static long Combine(long key, long? number, string? uuid, uint payloadHash)
    {
        int idBytes = uuid is null ? 8 : Encoding.UTF8.GetByteCount(uuid);
        int length = 8 + 1 + idBytes + 4;
        byte[]? rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> bytes = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        BinaryPrimitives.WriteInt64LittleEndian(bytes, key);
        bytes[8] = uuid is null ? (byte)0 : (byte)1;
        if (uuid is null) BinaryPrimitives.WriteInt64LittleEndian(bytes[9..], number ?? 0);
        else Encoding.UTF8.GetBytes(uuid, bytes[9..]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[(9 + idBytes)..], payloadHash);
        ulong idHash = XxHash3.HashToUInt64(bytes);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return (long)((idHash << 32) | payloadHash);
    }

    private static uint PayloadHash(string payload)
    {
        int length = Encoding.UTF8.GetMaxByteCount(payload.Length);
        byte[]? rented = length > 1024 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> buffer = rented ?? stackalloc byte[length];
        int written = Encoding.UTF8.GetBytes(payload, buffer);
        uint hash = (uint)XxHash3.HashToUInt64(buffer[..written]);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return hash;
    }
}

/// <summary>
/// An order-independent digest of a set of points: their count and the sum (mod 2^64) of a mix of each key, and of
/// each (key, id) pair. Two b-trees that hold the same points give the same digest, in any order.
/// </summary>
internal readonly record struct PointSetDigest(long Count, ulong Keys, ulong Pairs)
{
    /// <summary>The digest with one more point.</summary>
    public PointSetDigest Add(long key, long? number, string? uuid)
    {
        ulong keyMix = MixKey((ulong)key);
        ulong idMix = uuid is null ? Mix((ulong)(number ?? 0)) : XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(uuid), seed: 1);
        return new PointSetDigest(Count + 1, Keys + keyMix, Pairs + Mix(keyMix ^ idMix));
    }

    /// <summary>The digest of a key set with one more key (only <see cref="Count"/> and <see cref="Keys"/> are set).</summary>
    public PointSetDigest AddKey(ulong key) => this with { Count = Count + 1, Keys = Keys + MixKey(key) };

    private static ulong MixKey(ulong key) => Mix(key ^ 0x9E3779B97F4A7C15UL);

    // SplitMix64's finalizer: every input bit reaches every output bit.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
