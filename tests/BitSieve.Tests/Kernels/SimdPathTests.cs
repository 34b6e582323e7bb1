using System.Runtime.Intrinsics;

namespace BitSieve.Tests;

/// <summary>
/// CI runs the kernel tests once per SIMD tier (see conventions); this asserts the tier it asked for is the one running.
/// </summary>
[Trait("Category", "Kernels")]
public class SimdPathTests
{
    [Fact]
    public void Expected_vector_width_is_active()
    {
        switch (Environment.GetEnvironmentVariable("BITSIEVE_EXPECT_SIMD"))
        {
            case "512":
                Assert.True(Vector512.IsHardwareAccelerated);
                break;
            case "256":
                Assert.False(Vector512.IsHardwareAccelerated);
                Assert.True(Vector256.IsHardwareAccelerated);
                break;
            case "128":
                Assert.False(Vector256.IsHardwareAccelerated);
                Assert.True(Vector128.IsHardwareAccelerated);
                break;
            case null or "":
                break;
            case var other:
                Assert.Fail($"Unknown BITSIEVE_EXPECT_SIMD value '{other}'.");
                break;
        }
    }
}
