using System.Diagnostics;
using Turnstone.Cpu;

namespace Turnstone.Bench.Engine;

/// <summary>
/// Runs a <see cref="LoopGuest"/> on the software CPU from its long-mode entry, with the page
/// tables and GDT the image carries, until its write to the exit port.
/// </summary>
public static class SoftwareLoopRunner
{
    /// <summary>Times the guest and checks the count: the CPU's retired-instruction counter minus the
    /// empty guest's must equal the loop's instructions exactly.</summary>
    public static SoftwareLoopRun Run(LoopGuest guest)
    {
        long fixedInstructions = Execute(LoopGuest.Build(guest.Kind, 0)).Instructions;
        var (seconds, retired) = Execute(guest);
        if (retired - fixedInstructions != guest.LoopInstructions)
        {
            throw new InvalidOperationException(
                $"the {guest.Kind} loop retired {retired - fixedInstructions} instructions beyond the empty guest's {fixedInstructions}; its code says {guest.LoopInstructions}");
        }
        return new SoftwareLoopRun(seconds, retired, guest.LoopInstructions);
    }

    private static (double Seconds, long Instructions) Execute(LoopGuest guest)
    {
        using var memory = GuestPhysicalMemory.Allocate((0, LoopGuest.MemoryBytes));
        if (!memory.TryGetSpan(LoopGuest.LoadAddress, guest.Image.Length, out var span))
        {
            throw new InvalidOperationException("the loop guest does not fit its memory");
        }
        guest.Image.CopyTo(span);
        var cpu = new SoftwareCpu(memory)
        {
            Cr4 = 1 << 5,
            Cr3 = LoopGuest.PageTables,
            Efer = 1 << 8,
            Cr0 = 0x8000_0011,
            Gdtr = new DescriptorTableRegister(LoopGuest.LoadAddress + 0x4000, 23),
            Rip = LoopGuest.LongModeEntry,
        };
        cpu.SetSegment(SegmentName.Cs, SegmentRegister.FlatCode64(8, 0));
        cpu.SetSegment(SegmentName.Ss, SegmentRegister.FlatData(16, 0));
        var clock = Stopwatch.StartNew();
        var exit = cpu.Run();
        double seconds = clock.Elapsed.TotalSeconds;
        if (exit.Reason != CpuExitReason.PortWrite || exit.Port != LoopGuest.ExitPort)
        {
            throw new InvalidOperationException($"the {guest.Kind} loop guest stopped with {exit}, not its write to port 0x{LoopGuest.ExitPort:x}");
        }
        return (seconds, (long)cpu.InstructionsRetired);
    }
}
