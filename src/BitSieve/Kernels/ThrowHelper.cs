using System.Diagnostics.CodeAnalysis;

namespace BitSieve;

/// <summary>Cold throw paths kept out of hot methods so those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowLengthMismatch(string paramName) =>
        throw new ArgumentException("Spans must have matching lengths.", paramName);

    [DoesNotReturn]
    public static void ThrowBitCount(string paramName, int value) =>
        throw new ArgumentException($"Bit count must be between 1 and 8 (was {value}).", paramName);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);
}
