using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitSieve;

/// <summary>The per-query coefficients of the T1 upper bound (see <see cref="Kernels.UpperBoundMask"/>).</summary>
/// <param name="Dot">a: the weight of the FastScan product.</param>
/// <param name="Balance">l: the weight of the code's balance 2·popcount(b) − D.</param>
/// <param name="Constant">c: added to the raw product before scaling.</param>
/// <param name="Width">w: the weight of the per-vector error term.</param>
/// <param name="Offset">γ: added to every bound.</param>
internal readonly record struct UpperBoundCoefficients(float Dot, float Balance, float Constant, float Width, float Offset);

internal static partial class Kernels
{
    /// <summary>
    /// Which of 64 consecutive vectors have a T1 upper bound that reaches τ: bit v of the result is set when
    /// <c>r_v·(a·dot_v + l·bal_v + c) + e_v·w + β_v + γ ≥ τ</c>. Fused with <see cref="FastScan"/> in the cascade's
    /// scan, so the 64 products are still in L1 and each factor is read once, in one sequential pass.
    /// </summary>
    /// <param name="dots">64 FastScan products.</param>
    /// <param name="balance">64 balances (bal).</param>
    /// <param name="rinv">64 scales (r).</param>
    /// <param name="width">64 error factors (e).</param>
    /// <param name="beta">64 additive terms (β).</param>
    /// <param name="k">The query's coefficients.</param>
    /// <param name="tau">The threshold.</param>
    internal static ulong UpperBoundMask(ReadOnlySpan<int> dots, ReadOnlySpan<float> balance, ReadOnlySpan<float> rinv,
        ReadOnlySpan<float> width, ReadOnlySpan<float> beta, in UpperBoundCoefficients k, float tau)
    {
        if (dots.Length != FastScanCodes) ThrowHelper.ThrowArgument(nameof(dots), "The mask covers exactly 64 products.");
        if (balance.Length != FastScanCodes) ThrowHelper.ThrowLengthMismatch(nameof(balance));
        if (rinv.Length != FastScanCodes) ThrowHelper.ThrowLengthMismatch(nameof(rinv));
        if (width.Length != FastScanCodes) ThrowHelper.ThrowLengthMismatch(nameof(width));
        if (beta.Length != FastScanCodes) ThrowHelper.ThrowLengthMismatch(nameof(beta));
        return UpperBoundMaskCore(ref MemoryMarshal.GetReference(dots), ref MemoryMarshal.GetReference(balance),
            ref MemoryMarshal.GetReference(rinv), ref MemoryMarshal.GetReference(width), ref MemoryMarshal.GetReference(beta), k, tau);
    }

    /// <summary><see cref="UpperBoundMask"/> without the checks: each reference points at 64 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong UpperBoundMaskCore(ref int dots, ref float balance, ref float rinv, ref float width, ref float beta,
        in UpperBoundCoefficients k, float tau)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            ulong mask = 0;
            for (int j = 0; j < FastScanCodes; j += Vector512<float>.Count)
                mask |= Vector512.GreaterThanOrEqual(Upper512(ref dots, ref balance, ref rinv, ref width, ref beta, (nuint)j, k),
                    Vector512.Create(tau)).ExtractMostSignificantBits() << j;
            return mask;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            ulong mask = 0;
            for (int j = 0; j < FastScanCodes; j += Vector256<float>.Count)
                mask |= (ulong)Vector256.GreaterThanOrEqual(Upper256(ref dots, ref balance, ref rinv, ref width, ref beta, (nuint)j, k),
                    Vector256.Create(tau)).ExtractMostSignificantBits() << j;
            return mask;
        }
        if (Vector128.IsHardwareAccelerated)
        {
            ulong mask = 0;
            for (int j = 0; j < FastScanCodes; j += Vector128<float>.Count)
                mask |= (ulong)Vector128.GreaterThanOrEqual(Upper128(ref dots, ref balance, ref rinv, ref width, ref beta, (nuint)j, k),
                    Vector128.Create(tau)).ExtractMostSignificantBits() << j;
            return mask;
        }
        return UpperBoundMaskScalar(ref dots, ref balance, ref rinv, ref width, ref beta, k, tau);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Upper512(ref int dots, ref float balance, ref float rinv, ref float width, ref float beta, nuint at, in UpperBoundCoefficients k)
    {
        var raw = Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref dots, at)) * k.Dot
                + Vector512.LoadUnsafe(ref balance, at) * k.Balance + Vector512.Create(k.Constant);
        return Vector512.LoadUnsafe(ref rinv, at) * raw + Vector512.LoadUnsafe(ref width, at) * k.Width
             + Vector512.LoadUnsafe(ref beta, at) + Vector512.Create(k.Offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Upper256(ref int dots, ref float balance, ref float rinv, ref float width, ref float beta, nuint at, in UpperBoundCoefficients k)
    {
        var raw = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref dots, at)) * k.Dot
                + Vector256.LoadUnsafe(ref balance, at) * k.Balance + Vector256.Create(k.Constant);
        return Vector256.LoadUnsafe(ref rinv, at) * raw + Vector256.LoadUnsafe(ref width, at) * k.Width
             + Vector256.LoadUnsafe(ref beta, at) + Vector256.Create(k.Offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Upper128(ref int dots, ref float balance, ref float rinv, ref float width, ref float beta, nuint at, in UpperBoundCoefficients k)
    {
        var raw = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref dots, at)) * k.Dot
                + Vector128.LoadUnsafe(ref balance, at) * k.Balance + Vector128.Create(k.Constant);
        return Vector128.LoadUnsafe(ref rinv, at) * raw + Vector128.LoadUnsafe(ref width, at) * k.Width
             + Vector128.LoadUnsafe(ref beta, at) + Vector128.Create(k.Offset);
    }

    private static ulong UpperBoundMaskScalar(ref int dots, ref float balance, ref float rinv, ref float width, ref float beta,
        in UpperBoundCoefficients k, float tau)
    {
        ulong mask = 0;
        for (int v = 0; v < FastScanCodes; v++)
        {
            float raw = Unsafe.Add(ref dots, v) * k.Dot + Unsafe.Add(ref balance, v) * k.Balance + k.Constant;
            float upper = Unsafe.Add(ref rinv, v) * raw + Unsafe.Add(ref width, v) * k.Width + Unsafe.Add(ref beta, v) + k.Offset;
            if (upper >= tau) mask |= 1UL << v;
        }
        return mask;
    }
}
