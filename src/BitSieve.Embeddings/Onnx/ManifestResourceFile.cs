using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace BitSieve.Embeddings.Onnx;

/// <summary>
/// Reads manifest resources embedded in a .NET assembly file as bytes, through its metadata tables only: the assembly
/// is never loaded, so none of its code runs and its dependencies need not be present.
/// </summary>
internal static class ManifestResourceFile
{
    /// <summary>The bytes of each named resource, in the order asked; a name the file lacks is an error.</summary>
    public static byte[][] Read(string assemblyPath, params string[] names)
    {
        using var stream = new FileStream(assemblyPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
        if (!pe.HasMetadata) throw new InvalidDataException($"{assemblyPath} is not a .NET assembly.");

        var metadata = pe.GetMetadataReader();
        var corHeader = pe.PEHeaders.CorHeader ?? throw new InvalidDataException($"{assemblyPath} has no CLI header.");
        // Embedded resources sit in one blob: each is an int32 length then the bytes, at its Offset from the blob's start.
        if (!pe.PEHeaders.TryGetDirectoryOffset(corHeader.ResourcesDirectory, out int resourcesStart))
            throw new InvalidDataException($"{assemblyPath} has no embedded resources.");

        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (resource.Implementation.IsNil) offsets[metadata.GetString(resource.Name)] = resource.Offset;
        }

        var result = new byte[names.Length][];
        Span<byte> lengthBytes = stackalloc byte[4];
        for (int i = 0; i < names.Length; i++)
        {
            if (!offsets.TryGetValue(names[i], out long offset))
                throw new InvalidDataException($"{assemblyPath} has no embedded resource '{names[i]}' (it has: {string.Join(", ", offsets.Keys)}).");
            stream.Position = resourcesStart + offset;
            stream.ReadExactly(lengthBytes);
            int length = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
            if (length < 0 || stream.Position + length > stream.Length)
                throw new InvalidDataException($"{assemblyPath}: resource '{names[i]}' claims {length} bytes past the end of the file.");
            result[i] = new byte[length];
            stream.ReadExactly(result[i]);
        }

        return result;
    }
}
