using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Turnstone.Bench;

namespace Turnstone.Benchmarks;

/// <summary>
/// Mean time divided by the C floor figure the benchmark's description names in brackets
/// ("[vs PIO exit]" or "[vs VM lifecycle]"), measured by Program before the benchmarks ran;
/// "no floor" where the host has no KVM to measure it on.
/// </summary>
public sealed class CFloorRatioColumn(CFloor.Figures? floor) : IColumn
{
    public string Id => nameof(CFloorRatioColumn);
    public string ColumnName => "vs C floor";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Mean / the kvm_floor.c figure in the description's brackets, measured in the same run";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null)
        {
            return "?";
        }
        string description = benchmarkCase.Descriptor.WorkloadMethodDisplayInfo;
        if (floor is null)
        {
            return "no floor (no KVM)";
        }
        double? floorMicroseconds = description.Contains("[vs PIO exit]") ? floor.PioMicroseconds
            : description.Contains("[vs VM lifecycle]") ? floor.VmLifecycleMicroseconds : null;
        return floorMicroseconds is double baseline ? $"{report.ResultStatistics.Mean / 1000 / baseline:F3}x (floor {baseline:F1} us)" : "-";
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
