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
/// Sums over a set of points that SQLite computes inside one pass over a b-tree (no row crosses into .NET): their count,
/// and the sums of the low and high 32 bits of each key and each integer id, and of a 32-bit hash of each UUID
/// (<see cref="UuidHashFunction"/>). Every term is below 2^32, so SQLite's integer sums are exact up to 2^31 points. Two b-trees
/// that hold the same points give the same sums in any order; one entry hidden, added, or changed in its key or id
/// changes them. (Not a cryptographic set hash: two damaged entries could cancel out.)
/// </summary>
internal readonly record struct PointSetSums(long Count, long KeysLow, long KeysHigh, long NumbersLow, long NumbersHigh, long Uuids)
{
    /// <summary>The SQL function that hashes a UUID's text (registered on every connection of the points database).</summary>
    public const string UuidHashFunction = "bitsieve_uuid_hash";

    /// <summary>The select list that computes the sums over the rows of a query on <c>points</c>.</summary>
    public const string SelectList =
        "count(*), coalesce(sum(key & 4294967295), 0), coalesce(sum((key >> 32) & 4294967295), 0), coalesce(sum(num_id & 4294967295), 0), "
        + "coalesce(sum((num_id >> 32) & 4294967295), 0), coalesce(sum(" + UuidHashFunction + "(uuid)), 0)";

    /// <summary>Registers <see cref="UuidHashFunction"/> on a connection.</summary>
    public static void Register(Microsoft.Data.Sqlite.SqliteConnection connection) =>
        connection.CreateFunction<string?, long?>(UuidHashFunction, uuid => uuid is null ? null : (uint)XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(uuid)), isDeterministic: true);

    /// <summary>The sums of a set of keys alone (their ids left at 0).</summary>
    public static PointSetSums OfKeys(IEnumerable<ulong> keys)
    {
        long count = 0, low = 0, high = 0;
        foreach (ulong key in keys)
        {
            count++;
            low += (long)(key & 0xFFFFFFFF);
            high += (long)(key >> 32);
        }
        return new PointSetSums(count, low, high, 0, 0, 0);
    }

    /// <summary>Both sets together.</summary>
    public static PointSetSums operator +(PointSetSums a, PointSetSums b) =>
        new(a.Count + b.Count, a.KeysLow + b.KeysLow, a.KeysHigh + b.KeysHigh, a.NumbersLow + b.NumbersLow, a.NumbersHigh + b.NumbersHigh, a.Uuids + b.Uuids);

    /// <summary>The same count and keys as another (their ids not compared).</summary>
    public bool SameKeys(PointSetSums other) => Count == other.Count && KeysLow == other.KeysLow && KeysHigh == other.KeysHigh;
}
