using Turnstone.Engine;

namespace Turnstone.Cpu.Engine;

/// <summary>
/// A <see cref="SoftwareCpu"/> behind the engine interface. The general registers live in the CPU's
/// own array; this keeps a copy in the interface's layout, refreshed after every exit and written
/// back before every run (eighteen moves, nothing next to an exit's handling).
/// </summary>
internal sealed class SoftwareEngineVcpu(SoftwareCpu cpu) : IEngineVcpu
{
    private GeneralRegisters _registers;

    public SoftwareCpu Cpu => cpu;

    public ref GeneralRegisters Registers => ref _registers;

    /// <summary>Nothing to do: the registers are written back before every run.</summary>
    public void MarkRegistersDirty()
    {
    }

    public void SetRegisters(in GeneralRegisters registers) => _registers = registers;

    public EngineExit Run()
    {
        WriteRegisters();
        try
        {
            var exit = cpu.Run();
            return exit.Reason switch
            {
                CpuExitReason.PortRead => new EngineExit(EngineExitKind.PortIo, exit.Address, exit.Size, IsWrite: false),
                CpuExitReason.PortWrite => new EngineExit(EngineExitKind.PortIo, exit.Address, exit.Size, IsWrite: true),
                CpuExitReason.MmioRead => new EngineExit(EngineExitKind.Mmio, exit.Address, exit.Size, IsWrite: false),
                CpuExitReason.MmioWrite => new EngineExit(EngineExitKind.Mmio, exit.Address, exit.Size, IsWrite: true),
                CpuExitReason.Halt => new EngineExit(EngineExitKind.Halt),
                CpuExitReason.Shutdown => new EngineExit(EngineExitKind.Shutdown),
                CpuExitReason.StopRequested or CpuExitReason.BudgetExhausted => new EngineExit(EngineExitKind.Interrupted),
                CpuExitReason.NotImplemented => new EngineExit(EngineExitKind.Failed, Description: exit.Description ?? "an instruction not implemented by the software engine"),
                _ => new EngineExit(EngineExitKind.Other, Description: $"unexpected software engine exit {exit.Reason}"),
            };
        }
        finally
        {
            ReadRegisters();
        }
    }

    /// <summary>The CPU checks for the request between blocks, so a guest spinning with interrupts
    /// off stops too.</summary>
    public void Kick() => cpu.RequestStop();

    public void SetSystemRegisters(in SystemRegisters registers)
    {
        // CR4 first: CR0 and EFER recompute whether long mode is active, which needs CR4.PAE.
        cpu.Cr4 = registers.Cr4;
        cpu.Cr3 = registers.Cr3;
        cpu.Cr2 = registers.Cr2;
        cpu.Efer = registers.Efer;
        cpu.Cr0 = registers.Cr0;
        cpu.Gdtr = new DescriptorTableRegister(registers.Gdt.Base, registers.Gdt.Limit);
        cpu.Idtr = new DescriptorTableRegister(registers.Idt.Base, registers.Idt.Limit);
        cpu.Tr = Segment(registers.Tr);
        cpu.Ldtr = Segment(registers.Ldt);
        cpu.SetSegment(SegmentName.Ds, Segment(registers.Ds));
        cpu.SetSegment(SegmentName.Es, Segment(registers.Es));
        cpu.SetSegment(SegmentName.Fs, Segment(registers.Fs));
        cpu.SetSegment(SegmentName.Gs, Segment(registers.Gs));
        cpu.SetSegment(SegmentName.Ss, Segment(registers.Ss));
        cpu.SetSegment(SegmentName.Cs, Segment(registers.Cs)); // last: it sets the CPL and the code size
    }

    /// <summary>An unusable segment is a not-present one (attributes 0).</summary>
    private static SegmentRegister Segment(in SegmentState s) =>
        s.Unusable ? default : new SegmentRegister(s.Selector, s.Base, s.Limit, s.Attributes);

    public ulong Cr2 => cpu.Cr2;

    public long? InstructionsRetired => (long)cpu.InstructionsRetired;

    /// <summary>The extended state is x87, MXCSR and XMM0-15 (an FXSAVE image); the only event state is HLT.</summary>
    public void ResetExtendedStateAndEvents()
    {
        cpu.ResetFloatingPoint();
        cpu.Halted = false;
    }

    public SavedExtendedState CreateExtendedState() => new SoftwareExtendedState();

    public void SaveExtendedState(SavedExtendedState state) => cpu.SaveFxImage(Own(state).FxImage);

    /// <summary>The image came from <see cref="SaveExtendedState"/>, so its MXCSR is valid.</summary>
    public void RestoreExtendedState(SavedExtendedState state) => cpu.RestoreFxImage(Own(state).FxImage);

    private static SoftwareExtendedState Own(SavedExtendedState state) =>
        state as SoftwareExtendedState ?? throw new ArgumentException("extended state made by another engine", nameof(state));

    public void RequestInterrupt(byte vector) => cpu.RequestInterrupt(vector);

    private void WriteRegisters()
    {
        ref var r = ref _registers;
        cpu.SetRegister(GeneralRegister.Rax, r.Rax);
        cpu.SetRegister(GeneralRegister.Rbx, r.Rbx);
        cpu.SetRegister(GeneralRegister.Rcx, r.Rcx);
        cpu.SetRegister(GeneralRegister.Rdx, r.Rdx);
        cpu.SetRegister(GeneralRegister.Rsi, r.Rsi);
        cpu.SetRegister(GeneralRegister.Rdi, r.Rdi);
        cpu.SetRegister(GeneralRegister.Rsp, r.Rsp);
        cpu.SetRegister(GeneralRegister.Rbp, r.Rbp);
        cpu.SetRegister(GeneralRegister.R8, r.R8);
        cpu.SetRegister(GeneralRegister.R9, r.R9);
        cpu.SetRegister(GeneralRegister.R10, r.R10);
        cpu.SetRegister(GeneralRegister.R11, r.R11);
        cpu.SetRegister(GeneralRegister.R12, r.R12);
        cpu.SetRegister(GeneralRegister.R13, r.R13);
        cpu.SetRegister(GeneralRegister.R14, r.R14);
        cpu.SetRegister(GeneralRegister.R15, r.R15);
        cpu.Rip = r.Rip;
        cpu.Rflags = r.Rflags;
    }

    private void ReadRegisters()
    {
        ref var r = ref _registers;
        r.Rax = cpu.GetRegister(GeneralRegister.Rax);
        r.Rbx = cpu.GetRegister(GeneralRegister.Rbx);
        r.Rcx = cpu.GetRegister(GeneralRegister.Rcx);
        r.Rdx = cpu.GetRegister(GeneralRegister.Rdx);
        r.Rsi = cpu.GetRegister(GeneralRegister.Rsi);
        r.Rdi = cpu.GetRegister(GeneralRegister.Rdi);
        r.Rsp = cpu.GetRegister(GeneralRegister.Rsp);
        r.Rbp = cpu.GetRegister(GeneralRegister.Rbp);
        r.R8 = cpu.GetRegister(GeneralRegister.R8);
        r.R9 = cpu.GetRegister(GeneralRegister.R9);
        r.R10 = cpu.GetRegister(GeneralRegister.R10);
        r.R11 = cpu.GetRegister(GeneralRegister.R11);
        r.R12 = cpu.GetRegister(GeneralRegister.R12);
        r.R13 = cpu.GetRegister(GeneralRegister.R13);
        r.R14 = cpu.GetRegister(GeneralRegister.R14);
        r.R15 = cpu.GetRegister(GeneralRegister.R15);
        r.Rip = cpu.Rip;
        r.Rflags = cpu.Rflags;
    }

    private sealed class SoftwareExtendedState : SavedExtendedState
    {
        public readonly byte[] FxImage = new byte[512];
    }
}
