using Turnstone.Cpu;
using Turnstone.Machine.Bios;

namespace Turnstone.Machine.Engines;

/// <summary>The software CPU's registers for a firmware call, read and written in place (the CPU is stopped at the exit).</summary>
internal sealed class SoftwareRealModeRegisters(SoftwareCpu cpu) : VcpuRegisterWindow
{
    public override uint Eax { get => Get(GeneralRegister.Rax); set => Set(GeneralRegister.Rax, value); }
    public override uint Ebx { get => Get(GeneralRegister.Rbx); set => Set(GeneralRegister.Rbx, value); }
    public override uint Ecx { get => Get(GeneralRegister.Rcx); set => Set(GeneralRegister.Rcx, value); }
    public override uint Edx { get => Get(GeneralRegister.Rdx); set => Set(GeneralRegister.Rdx, value); }
    public override uint Esi { get => Get(GeneralRegister.Rsi); set => Set(GeneralRegister.Rsi, value); }
    public override uint Edi { get => Get(GeneralRegister.Rdi); set => Set(GeneralRegister.Rdi, value); }
    public override uint Ebp { get => Get(GeneralRegister.Rbp); set => Set(GeneralRegister.Rbp, value); }
    public override uint Esp { get => Get(GeneralRegister.Rsp); set => Set(GeneralRegister.Rsp, value); }

    public override ushort Cs => cpu.GetSegment(SegmentName.Cs).Selector;
    public override ushort Ip => (ushort)cpu.Rip;
    public override ushort Ds { get => cpu.GetSegment(SegmentName.Ds).Selector; set => SetSegment(SegmentName.Ds, value); }
    public override ushort Es { get => cpu.GetSegment(SegmentName.Es).Selector; set => SetSegment(SegmentName.Es, value); }
    public override ushort Ss => cpu.GetSegment(SegmentName.Ss).Selector;

    public override uint Eflags { get => (uint)cpu.Rflags; set => cpu.Rflags = WithLow32(cpu.Rflags, value); }

    /// <summary>True when the CPU is in real mode (CR0.PE clear), the only mode a BIOS call comes from.</summary>
    public bool InRealMode => (cpu.Cr0 & 1) == 0;

    private uint Get(GeneralRegister register) => (uint)cpu.GetRegister(register);

    private void Set(GeneralRegister register, uint value) => cpu.SetRegister(register, WithLow32(cpu.GetRegister(register), value));

    /// <summary>A real-mode segment load: base = selector * 16; the limit and attributes stay (unreal mode keeps its 4 GiB).</summary>
    private void SetSegment(SegmentName name, ushort selector)
    {
        var old = cpu.GetSegment(name);
        cpu.SetSegment(name, new SegmentRegister(selector, (ulong)selector << 4, old.Limit, old.Attributes));
    }
}
