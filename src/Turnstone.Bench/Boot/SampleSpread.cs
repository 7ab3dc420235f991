namespace Turnstone.Bench.Boot;

/// <summary>The median of a handful of repeats, and their range.</summary>
public sealed record SampleSpread(double Median, double Min, double Max, int Count)
{
    /// <summary>The spread of <paramref name="samples"/>, or null for none (an even count's median
    /// is the mean of the middle two).</summary>
    public static SampleSpread? Of(IEnumerable<double> samples)
    {
        double[] sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }
        int middle = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new SampleSpread(median, sorted[0], sorted[^1], sorted.Length);
    }
}
