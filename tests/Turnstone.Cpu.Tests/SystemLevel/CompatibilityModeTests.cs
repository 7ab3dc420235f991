using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>Compatibility mode: 32-bit code under 4-level paging, entered from 64-bit code by a
/// far return, taking an interrupt through the 64-bit IDT and resumed by IRETQ.</summary>
public sealed class CompatibilityModeTests
{
    private const ulong Idt64 = 0x8000;
    private const ulong Target64 = LegacyModeMachine.Code + 0x1000;
    private const ulong Handler64 = LegacyModeMachine.Code + 0x1800;
    private const ulong Compat = LegacyModeMachine.Code + 0x2000;

    [Fact]
    public void Compatibility_mode_code_runs_and_returns_from_a_64_bit_interrupt_handler()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        ulong gate = (Handler64 & 0xFFFF) | ((ulong)LegacyModeMachine.Code64Selector << 16) | (0xEEUL << 40) | ((Handler64 >> 16 & 0xFFFF) << 48);
        machine.WriteUInt64(Idt64 + 0x80 * 16, gate);
        machine.Cpu.Idtr = new DescriptorTableRegister(Idt64, 256 * 16 - 1);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(eax, cr4);
            a.or(eax, 1 << 5);
            a.mov(cr4, eax);
            a.mov(ecx, 0xC000_0080);
            a.rdmsr();
            a.or(eax, 1 << 8);
            a.wrmsr();
            a.mov(eax, (uint)LegacyModeMachine.Pml4);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));
            a.mov(cr0, eax);
            // Paging on with a 32-bit CS: this is already compatibility mode.
            a.mov(__dword_ptr[(uint)LegacyModeMachine.DataPage + 0x40], 0x6060_6060);
            a.jmp(LegacyModeMachine.Code64Selector, (uint)Target64);
        });
        machine.Assemble(Target64, 64, a =>
        {
            a.push(LegacyModeMachine.Code32Selector);
            a.push((int)Compat);
            a.db(0x48, 0xCB); // retfq
        });
        machine.Assemble(Handler64, 64, a =>
        {
            a.mov(rbx, __qword_ptr[rsp + 8]);  // CS of the interrupted code
            a.mov(rcx, __qword_ptr[rsp]);      // its RIP
            a.add(eax, 1);
            a.iretq();
        });
        machine.Assemble(Compat, 32, a =>
        {
            var function = a.CreateLabel();
            var after = a.CreateLabel();
            a.mov(esp, 0x1F000);
            a.mov(eax, 10);
            a.push(eax);
            a.pop(edx);
            a.call(function);
            a.@int(0x80);
            a.Label(ref after);
            a.mov(__dword_ptr[(uint)LegacyModeMachine.DataPage + 0x30], eax);
            a.@out(0xE9, al);
            a.Label(ref function);
            a.add(eax, 5);
            a.ret();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.PortWrite, exit.Reason);
        Assert.Equal(0x6060_6060U, machine.ReadUInt32(LegacyModeMachine.DataPage + 0x40));
        Assert.Equal(16U, machine.ReadUInt32(LegacyModeMachine.DataPage + 0x30));
        Assert.Equal(10UL, machine.Register(GeneralRegister.Rdx));
        Assert.Equal((ulong)LegacyModeMachine.Code32Selector, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(Compat + 5 + 5 + 1 + 1 + 5 + 2, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(0x1F000UL, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(LegacyModeMachine.Code32Selector, machine.Cpu.GetSegment(SegmentName.Cs).Selector);
    }

    /// <summary>Paging on with EFER.LME and a 64-bit CS: 64-bit code at <see cref="Target64"/> runs next.</summary>
    private static void EnterLongModeAtTarget64(LegacyModeMachine machine)
    {
        machine.EnterProtectedMode32();
        machine.Cpu.Cr4 = 1 << 5;
        machine.Cpu.Cr3 = LegacyModeMachine.Pml4;
        machine.Cpu.Efer = 1 << 8;
        machine.Cpu.Cr0 = 0x8000_0011;
        machine.Cpu.SetSegment(SegmentName.Cs, SegmentRegister.FlatCode64(LegacyModeMachine.Code64Selector, 0));
        machine.Cpu.Rip = Target64;
    }

    [Fact]
    public void Iretd_from_64_bit_code_returns_to_compatibility_mode_with_a_32_bit_frame()
    {
        using var machine = new LegacyModeMachine();
        EnterLongModeAtTarget64(machine);
        machine.Assemble(Target64, 64, a =>
        {
            a.sub(rsp, 20);
            a.mov(__dword_ptr[rsp], (uint)Compat);
            a.mov(__dword_ptr[rsp + 4], LegacyModeMachine.Code32Selector);
            a.mov(__dword_ptr[rsp + 8], 0x202);
            a.mov(__dword_ptr[rsp + 12], 0x1E000);
            a.mov(__dword_ptr[rsp + 16], LegacyModeMachine.Data32Selector);
            a.iretd();
        });
        machine.Assemble(Compat, 32, a =>
        {
            a.push(0x77);
            a.pop(eax);
            a.@out(0xE9, al);
        });

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.PortWrite, exit.Reason);
        Assert.Equal(0x77UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x1E000UL, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(LegacyModeMachine.Code32Selector, machine.Cpu.GetSegment(SegmentName.Cs).Selector);
        Assert.NotEqual(0UL, machine.Cpu.Rflags & 0x200);
    }

    [Fact]
    public void The_same_code_entered_by_one_iretq_in_64_bit_and_then_compatibility_mode_is_decoded_for_each()
    {
        // The IRETQ block runs four times and is linked to the block at Shared after its first run.
        // Shared holds 40h 90h FFh 2Bh: a REX prefix, NOP and JMP FAR [RBX] in 64-bit code, INC EAX,
        // NOP and JMP FAR [EBX] in 32-bit code. Only the third entry, with a 32-bit CS, may count.
        const ulong Shared = Compat;
        const ulong FarPointer = LegacyModeMachine.DataPage;
        using var machine = new LegacyModeMachine();
        EnterLongModeAtTarget64(machine);
        machine.WriteBytes(Shared, [0x40, 0x90, 0xFF, 0x2B]);
        machine.Assemble(Target64, 64, a =>
        {
            var top = a.CreateLabel();
            var keep = a.CreateLabel();
            var done = a.CreateLabel();
            a.mov(esp, 0x1F000);
            a.xor(eax, eax);
            a.xor(r12d, r12d);
            a.mov(r14d, LegacyModeMachine.Code64Selector);
            a.mov(ebx, (uint)FarPointer);
            a.lea(rcx, __[top]);
            a.mov(__dword_ptr[rbx], ecx);
            a.mov(__word_ptr[rbx + 4], LegacyModeMachine.Code64Selector);
            a.Label(ref top);
            a.inc(r12);
            a.cmp(r12, 3);
            a.jb(keep);
            a.mov(r14d, LegacyModeMachine.Code32Selector);
            a.cmp(r12, 4);
            a.je(done);
            a.Label(ref keep);
            a.mov(rdx, rsp);
            a.push(LegacyModeMachine.Data32Selector);
            a.push(rdx);
            a.pushfq();
            a.push(r14);
            a.push((int)Shared);
            a.iretq();
            a.Label(ref done);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal(4ul, machine.Register(GeneralRegister.R12));
        Assert.Equal(1ul, machine.Register(GeneralRegister.Rax));
    }
}
