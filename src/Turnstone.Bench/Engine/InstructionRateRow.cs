namespace Turnstone.Bench.Engine;

/// <summary>
/// One workload's guest instructions per second on the software engine, next to the same work
/// natively (C, gcc -O2) and under QEMU TCG. <see cref="GuestInstructions"/> is exact (the loop's
/// construction, checked against the CPU's retired-instruction counter; for the component, that
/// counter). Native and QEMU rates are the same instruction count over their wall time, so every
/// ratio is a ratio of wall times for the same work. A null time carries its reason in the note.
/// </summary>
public sealed record InstructionRateRow(
    string Workload,
    long GuestInstructions,
    double SoftwareSeconds,
    double? NativeSeconds,
    string? NativeNote,
    double? QemuSeconds,
    string? QemuNote)
{
    public double SoftwareInstructionsPerSecond => GuestInstructions / SoftwareSeconds;

    public double? NativeInstructionsPerSecond => GuestInstructions / NativeSeconds;

    public double? QemuInstructionsPerSecond => GuestInstructions / QemuSeconds;

    /// <summary>How many times slower than native: software seconds over native seconds.</summary>
    public double? SlowdownAgainstNative => SoftwareSeconds / NativeSeconds;

    /// <summary>Software seconds over QEMU TCG seconds (the target: at most 4).</summary>
    public double? SlowdownAgainstQemu => SoftwareSeconds / QemuSeconds;
}
