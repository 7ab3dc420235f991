using Turnstone.Cpu;
using Turnstone.Firmware.X86;

namespace Turnstone.Machine.Engines;

/// <summary>
/// Puts a <see cref="SoftwareCpu"/> into the state a boot path asked for, as <see cref="VcpuSetup"/>
/// does for KVM. CPUID is the CPU's own table (it reports what the engine implements); KVM's CPUID
/// policy and its MSR defaults for nested hosts do not apply.
/// </summary>
internal static class SoftwareVcpuSetup
{
    // Access rights in the VMX layout SegmentRegister uses: present, S=1, DPL 0, G=1.
    private const ushort Code32 = 0xC09B, Data = 0xC093, BusyTss32 = 0x8B;
    private const ulong FastStrings = 1;
    private const ushort RealModeCode = 0x9B, RealModeIvtLimit = 0x3FF;

    public static void Apply(SoftwareCpu cpu, BootCpuState state)
    {
        if (state.Mode == CpuEntryMode.RealMode)
        {
            ApplyRealMode(cpu, state);
            return;
        }
        // CR4 first: CR0 and EFER recompute whether long mode is active, which needs CR4.PAE.
        cpu.Cr4 = state.Cr4;
        cpu.Cr3 = state.Cr3;
        cpu.Efer = state.Efer;
        cpu.Cr0 = state.Cr0;
        cpu.Gdtr = new DescriptorTableRegister(state.GdtBase, state.GdtLimit);
        cpu.Idtr = new DescriptorTableRegister(0, 0);
        if (state.TaskSelector is { } task)
        {
            cpu.Tr = new SegmentRegister(task, 0, FlatProtectedMode.TaskStateLimit, BusyTss32);
        }
        var data = new SegmentRegister(state.DataSelector, 0, 0xFFFF_FFFF, Data);
        foreach (var segment in new[] { SegmentName.Ds, SegmentName.Es, SegmentName.Fs, SegmentName.Gs, SegmentName.Ss })
        {
            cpu.SetSegment(segment, data);
        }
        cpu.SetSegment(SegmentName.Cs, state.Mode == CpuEntryMode.LongMode64
            ? SegmentRegister.FlatCode64(state.CodeSelector, dpl: 0)
            : new SegmentRegister(state.CodeSelector, 0, 0xFFFF_FFFF, Code32)); // last: it sets the CPL and the code size
        cpu.TryWriteMsr(ModelSpecificRegister.MiscEnable, FastStrings);
        cpu.Rip = state.Rip;
        cpu.Rflags = state.Rflags;
        cpu.SetRegister(GeneralRegister.Rbx, state.Rbx);
        cpu.SetRegister(GeneralRegister.Rsi, state.Rsi);
        cpu.SetRegister(GeneralRegister.Rsp, state.Rsp);
    }

    /// <summary>The processor's reset state (real mode, segments at 0 with 64 KiB limits, the IVT at 0),
    /// then CS:IP where the state says, with CS's base its selector * 16.</summary>
    private static void ApplyRealMode(SoftwareCpu cpu, BootCpuState state)
    {
        cpu.ResetArchitectural();
        cpu.SetSegment(SegmentName.Cs, new SegmentRegister(state.CodeSelector, (ulong)state.CodeSelector << 4, 0xFFFF, RealModeCode));
        cpu.Idtr = new DescriptorTableRegister(0, RealModeIvtLimit);
        cpu.Rip = state.Rip;
        cpu.Rflags = state.Rflags;
        cpu.SetRegister(GeneralRegister.Rsp, state.Rsp);
    }
}
