using System.Globalization;

namespace BitSieve;

/// <summary>
/// What a search promises: a recall floor (the probabilistic bounds are widened until the expected recall@k is at
/// least the target) or <see cref="Exact"/>, where deterministic bounds make the top k equal to exact float32 search
/// up to ties.
/// </summary>
public readonly record struct Quality
{
    private Quality(double recallTarget) => RecallTarget = recallTarget;

    /// <summary>The recall target in (0, 1), or 1 for <see cref="Exact"/>.</summary>
    public double RecallTarget { get; }

    /// <summary>True when the search uses deterministic bounds.</summary>
    public bool IsExact => RecallTarget >= 1.0;

    /// <summary>The default quality: recall@k of at least 0.995.</summary>
    public static Quality Default { get; } = new(0.995);

    /// <summary>Deterministic bounds: the top k equals exact search up to ties.</summary>
    public static Quality Exact { get; } = new(1.0);

    /// <summary>A recall floor in (0, 1).</summary>
    public static Quality Recall(double target)
    {
        if (double.IsNaN(target) || target <= 0 || target >= 1)
            throw new ArgumentOutOfRangeException(nameof(target), target, "A recall target must lie in (0, 1); use Quality.Exact for exact search.");
        return new Quality(target);
    }

    /// <summary>Parses <c>exact</c> or a number such as <c>0.995</c>.</summary>
    public static Quality Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Equals("exact", StringComparison.OrdinalIgnoreCase)) return Exact;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw new FormatException($"Quality must be 'exact' or a recall target such as 0.995, not '{text}'.");
        return value >= 1.0 ? Exact : Recall(value);
    }

    /// <inheritdoc />
    public override string ToString() => IsExact ? "exact" : RecallTarget.ToString("0.####", CultureInfo.InvariantCulture);
}
