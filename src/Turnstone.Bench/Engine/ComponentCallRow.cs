namespace Turnstone.Bench.Engine;

/// <summary>A component measurement on the software engine next to KVM's; null where that engine was not measured.</summary>
public sealed record ComponentCallRow(string Measurement, double? SoftwareMicroseconds, double? KvmMicroseconds, string Target);
