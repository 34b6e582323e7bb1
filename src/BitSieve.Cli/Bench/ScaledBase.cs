namespace BitSieve.Cli.Bench;

/// <summary>
/// Grows a base of n0 vectors to N deterministically, so that anyone can rebuild the same larger set:
/// <code>
/// row i ≥ n0:  x' = normalize(x + 0.5 · g / √d),  x = base row (i mod n0),  g ~ N(0, I_d)
/// </code>
/// The procedure, exactly:
/// <list type="number">
/// <item>One <c>new System.Random(42)</c> for the whole run; rows are generated in order i = n0 … N−1.</item>
/// <item>The normals form one stream, drawn by Box–Muller: each pair of draws u1 = NextDouble(), u2 = NextDouble()
/// gives r = √(−2·ln(1 − u1)), then z0 = r·cos(2π·u2) and z1 = r·sin(2π·u2), in that order. Row i takes the next
/// d normals of the stream (when d is odd, the spare normal starts the next row).</item>
/// <item>In double precision, left to right: y_j = x_j + 0.5·g_j/√d, ‖y‖ = √(Σ y_j²) summed in order j = 0 … d−1, x'_j = (float)(y_j / ‖y‖)
/// (y is kept unnormalized when ‖y‖ = 0).</item>
/// </list>
/// </summary>
internal sealed class ScaledBase
{
    /// <summary>The seed of the one <see cref="Random"/> of a run.</summary>
    public const int Seed = 42;

    /// <summary>The noise amplitude before the 1/√d factor.</summary>
    public const double NoiseScale = 0.5;

    private readonly float[] _base;
    private readonly int _baseRows;
    private readonly int _dimension;
    private readonly Random _random = new(Seed);
    private double _spareNormal;
    private bool _hasSpareNormal;

    /// <summary>Starts a generator over <paramref name="baseRows"/> rows of <paramref name="baseVectors"/> (row-major).</summary>
    public ScaledBase(float[] baseVectors, int baseRows, int dimension)
    {
        ArgumentNullException.ThrowIfNull(baseVectors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if ((long)baseRows * dimension > baseVectors.Length)
            throw new ArgumentException($"{baseRows} rows of {dimension} need {(long)baseRows * dimension} values, got {baseVectors.Length}.", nameof(baseVectors));
        _base = baseVectors;
        _baseRows = baseRows;
        _dimension = dimension;
        NextRow = baseRows;
    }

    /// <summary>The ordinal i of the row the next call produces (n0 at the start).</summary>
    public long NextRow { get; private set; }

    /// <summary>Fills <paramref name="destination"/> (whole rows, row-major) with the next rows in order.</summary>
    public void Generate(Span<float> destination)
    {
        int d = _dimension;
        if (destination.Length % d != 0)
            throw new ArgumentException($"The destination must hold whole rows of {d}.", nameof(destination));
        double sqrtD = Math.Sqrt(d);
        int rows = destination.Length / d;
        var y = new double[d];
        for (int r = 0; r < rows; r++)
        {
            int source = (int)(NextRow % _baseRows);
            var x = _base.AsSpan(source * d, d);
            double squares = 0;
            for (int j = 0; j < d; j++)
            {
                double v = x[j] + NoiseScale * NextNormal() / sqrtD;
                y[j] = v;
                squares += v * v;
            }

            double norm = squares > 0 ? Math.Sqrt(squares) : 1.0;
            var row = destination.Slice(r * d, d);
            for (int j = 0; j < d; j++) row[j] = (float)(y[j] / norm);
            NextRow++;
        }
    }

    private double NextNormal()
    {
        if (_hasSpareNormal)
        {
            _hasSpareNormal = false;
            return _spareNormal;
        }

        // Box–Muller; 1 − u1 lies in (0, 1], so the logarithm is finite.
        double u1 = _random.NextDouble();
        double u2 = _random.NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - u1));
        double angle = 2.0 * Math.PI * u2;
        _spareNormal = radius * Math.Sin(angle);
        _hasSpareNormal = true;
        return radius * Math.Cos(angle);
    }
}
