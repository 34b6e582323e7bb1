namespace BitSieve.Search;

/// <summary>Maps a recall target to the confidence parameter ε₀ of the probabilistic bounds.</summary>
internal static class Confidence
{
    /// <summary>
    /// A true neighbour is lost only if a bound fails on its low side at T1 or at T2: each failure has probability
    /// at most 1 − Φ(ε₀) (the estimator's error is close to normal after a random rotation). Asking the union of
    /// both to stay under 1 − target gives ε₀ = Φ⁻¹(1 − (1 − target)/2). It is conservative: a miss also needs the
    /// neighbour to fall below the k-th lower bound, which sits further down.
    /// </summary>
    public static double Epsilon(double recallTarget) => NormalQuantile(1 - (1 - recallTarget) / 2);

    /// <summary>Φ⁻¹(p) by bisection on Φ.</summary>
    public static double NormalQuantile(double p)
    {
        double lo = -10, hi = 10;
        for (int i = 0; i < 100; i++)
        {
            double mid = (lo + hi) / 2;
            if (NormalCdf(mid) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>Complementary error function, relative error below 1.2e-7 (Chebyshev fit).</summary>
    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
