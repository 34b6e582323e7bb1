using System.Security.Cryptography;
using System.Text;

namespace BitSieve.VectorData;

/// <summary>
/// Name-based UUIDs, version 5 (RFC 9562 §5.5, formerly RFC 4122 §4.3): SHA-1 over the namespace UUID's 16 bytes in
/// network order followed by the name's UTF-8 bytes; the first 16 bytes of the digest, with the version nibble set to
/// 5 and the variant bits to 10. The same name in the same namespace always gives the same UUID.
/// </summary>
public static class NameBasedUuid
{
    /// <summary>
    /// The namespace of the connector's string keys: a string key <c>k</c> is stored as the point id
    /// <c>Create(BitSieveKeyNamespace, k)</c>. Fixed for ever: changing it would orphan every stored string key.
    /// </summary>
    public static readonly Guid BitSieveKeyNamespace = new("bd391215-1489-41cc-9156-763f80efbe8a");

    /// <summary>The version-5 UUID of <paramref name="name"/> in <paramref name="namespaceId"/>.</summary>
    public static Guid Create(Guid namespaceId, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        byte[] input = new byte[16 + nameBytes];
        if (!namespaceId.TryWriteBytes(input.AsSpan(0, 16), bigEndian: true, out _)) throw new InvalidOperationException("A GUID is 16 bytes.");
        Encoding.UTF8.GetBytes(name, input.AsSpan(16));
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        // SHA-1 is what RFC 9562 prescribes for version 5; it names keys here, it protects nothing.
#pragma warning disable CA5350
        SHA1.HashData(input, digest);
#pragma warning restore CA5350
        digest[6] = (byte)((digest[6] & 0x0F) | 0x50);
        digest[8] = (byte)((digest[8] & 0x3F) | 0x80);
        return new Guid(digest[..16], bigEndian: true);
    }

    /// <summary>The point id the connector stores a string key under.</summary>
    public static Guid ForStringKey(string key) => Create(BitSieveKeyNamespace, key);
}
