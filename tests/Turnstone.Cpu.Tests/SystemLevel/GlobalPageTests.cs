using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// A MOV to CR3 drops every translation except those of global pages (G with CR4.PGE), as hardware
/// keeps global TLB entries; INVLPG and a CR4.PGE toggle drop global ones too. Blocks found from a
/// RIP follow the same rule: code fetched through a non-global translation is never run for the
/// same RIP in another address space.
/// </summary>
public sealed class GlobalPageTests
{
    private const ulong Cr4PhysicalAddressExtension = 1 << 5;
    private const ulong Cr4PageGlobalEnable = 1 << 7;
    private const ulong Global = 0x100;
    /// <summary>A second set of page tables: the same mappings except <see cref="SwitchedPage"/>.</summary>
    private const ulong OtherPml4 = 0x90000;
    private const ulong OtherPdpt = 0x91000;
    private const ulong OtherPageDirectory = 0x92000;
    private const ulong OtherPageTable = 0x93000;
    private const ulong SwitchedPage = 0x80000;

    private static LongModeMachine MachineWithTwoAddressSpaces(ulong firstFrame, ulong secondFrame, ulong flags, bool pageGlobalEnable)
    {
        var machine = new LongModeMachine();
        for (ulong offset = 0; offset < 4096; offset += 8)
        {
            machine.WriteUInt64(OtherPml4 + offset, machine.ReadUInt64(LongModeMachine.Pml4 + offset));
            machine.WriteUInt64(OtherPdpt + offset, machine.ReadUInt64(LongModeMachine.Pdpt + offset));
            machine.WriteUInt64(OtherPageDirectory + offset, machine.ReadUInt64(LongModeMachine.PageDirectory + offset));
            machine.WriteUInt64(OtherPageTable + offset, machine.ReadUInt64(LongModeMachine.PageTable + offset));
        }
        machine.WriteUInt64(OtherPml4, OtherPdpt | 7);
        machine.WriteUInt64(OtherPdpt, OtherPageDirectory | 7);
        machine.WriteUInt64(OtherPageDirectory, OtherPageTable | 7);
        machine.SetPageEntry(SwitchedPage, firstFrame | flags);
        machine.WriteUInt64(OtherPageTable + (SwitchedPage >> 12) * 8, secondFrame | flags);
        if (pageGlobalEnable)
        {
            machine.Cpu.Cr4 = Cr4PhysicalAddressExtension | Cr4PageGlobalEnable;
        }
        return machine;
    }

    /// <summary>Two address spaces whose <see cref="SwitchedPage"/> holds 0x11 in the first and 0x22 in the second.</summary>
    private static LongModeMachine MachineWithSwitchedData(ulong flags, bool pageGlobalEnable)
    {
        var machine = MachineWithTwoAddressSpaces(0x61000, 0x62000, flags, pageGlobalEnable);
        machine.WriteUInt64(0x61000, 0x11);
        machine.WriteUInt64(0x62000, 0x22);
        return machine;
    }

    private static void WriteReturning(LongModeMachine machine, ulong frame, int value) =>
        machine.Assemble(frame, a =>
        {
            a.mov(ebx, value);
            a.ret();
        });

    /// <summary>Two address spaces whose <see cref="SwitchedPage"/> holds code returning EBX = 1 in the first and 2 in the second.</summary>
    private static LongModeMachine MachineWithSwitchedCode(ulong flags, bool pageGlobalEnable)
    {
        var machine = MachineWithTwoAddressSpaces(0x81000, 0x82000, flags, pageGlobalEnable);
        WriteReturning(machine, 0x81000, 1);
        WriteReturning(machine, 0x82000, 2);
        return machine;
    }

    [Theory]
    [InlineData(3ul, false)]
    [InlineData(3ul, true)]
    [InlineData(3ul | Global, false)] // the G bit without CR4.PGE keeps nothing
    public void A_translation_that_is_not_global_does_not_survive_a_CR3_write(ulong flags, bool pageGlobalEnable)
    {
        using var machine = MachineWithSwitchedData(flags, pageGlobalEnable);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[SwitchedPage]);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.mov(rdx, __qword_ptr[SwitchedPage]);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x22ul, machine.Register(GeneralRegister.Rdx));
    }

    [Fact]
    public void A_global_data_mapping_survives_a_CR3_write_until_INVLPG()
    {
        using var machine = MachineWithSwitchedData(3 | Global, pageGlobalEnable: true);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[SwitchedPage]);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.mov(rbx, __qword_ptr[SwitchedPage]); // the global translation is kept
            a.invlpg(__[SwitchedPage]);
            a.mov(rdx, __qword_ptr[SwitchedPage]);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x22ul, machine.Register(GeneralRegister.Rdx));
    }

    [Fact]
    public void Toggling_CR4_PGE_drops_global_translations()
    {
        using var machine = MachineWithSwitchedData(3 | Global, pageGlobalEnable: true);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[SwitchedPage]);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.mov(rcx, cr4);
            a.mov(rsi, rcx);
            a.and(rcx, unchecked((int)~Cr4PageGlobalEnable));
            a.mov(cr4, rcx);
            a.mov(cr4, rsi);
            a.mov(rdx, __qword_ptr[SwitchedPage]);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x22ul, machine.Register(GeneralRegister.Rdx));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Code_at_a_non_global_address_runs_from_the_current_address_space(bool pageGlobalEnable)
    {
        using var machine = MachineWithSwitchedCode(3, pageGlobalEnable);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, SwitchedPage);
            a.call(rax);
            a.mov(r8, rbx);
            a.call(rax); // again: the block is now in the jump cache and linked
            a.mov(r9, rbx);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.call(rax);
            a.mov(r10, rbx);
            a.mov(rcx, LongModeMachine.Pml4);
            a.mov(cr3, rcx);
            a.call(rax);
            a.mov(r11, rbx);
            a.hlt();
        });

        CallResults.AssertHaltsWith(machine, 1ul, 1ul, 2ul, 1ul);
    }

    [Theory]
    [InlineData(3ul, 0x1122ul)]
    [InlineData(3ul | Global, 0x1111ul)] // a global translation outlives the CR3 write, and so does the link to its block
    public void One_call_site_follows_its_link_only_while_the_translation_it_stands_for_holds(ulong flags, ulong expected)
    {
        // The same block (a lone CALL) runs twice in each address space: from the second run on it
        // is linked to the block it called, a link a CR3 write must drop unless the code is global.
        using var machine = MachineWithSwitchedCode(flags, pageGlobalEnable: true);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            var sameSpace = a.CreateLabel();
            a.mov(rax, SwitchedPage);
            a.xor(r12d, r12d);
            a.xor(r13d, r13d);
            a.Label(ref loop);
            a.call(rax);
            a.shl(r13, 4);
            a.or(r13, rbx);
            a.inc(r12);
            a.cmp(r12, 2);
            a.jne(sameSpace);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.Label(ref sameSpace);
            a.cmp(r12, 4);
            a.jne(loop);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal(expected, machine.Register(GeneralRegister.R13));
    }

    [Fact]
    public void Code_at_a_global_address_stays_found_across_a_CR3_write_until_INVLPG()
    {
        using var machine = MachineWithSwitchedCode(3 | Global, pageGlobalEnable: true);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, SwitchedPage);
            a.call(rax);
            a.mov(r8, rbx);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.call(rax); // the global translation (and the block found through it) is kept
            a.mov(r9, rbx);
            a.invlpg(__[SwitchedPage]);
            a.call(rax);
            a.mov(r10, rbx);
            a.hlt();
        });

        CallResults.AssertHaltsWith(machine, 1ul, 1ul, 2ul);
    }

    [Fact]
    public void After_a_whole_flush_unchanged_code_runs_on_and_remapped_code_runs_from_its_new_frame()
    {
        // A whole flush leaves the jump cache's entries stale rather than empty: each is taken again
        // only when its RIP still translates to the block's own physical address.
        using var machine = MachineWithSwitchedCode(3 | Global, pageGlobalEnable: true);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            void ToggleGlobalPages()
            {
                a.mov(rcx, cr4);
                a.xor(rcx, (int)Cr4PageGlobalEnable);
                a.mov(cr4, rcx);
                a.xor(rcx, (int)Cr4PageGlobalEnable);
                a.mov(cr4, rcx);
            }
            a.mov(rax, SwitchedPage);
            a.call(rax);
            a.mov(r8, rbx);
            ToggleGlobalPages();
            a.call(rax);
            a.mov(r9, rbx);
            a.mov(rdx, 0x82000 | 3 | Global);
            a.mov(__qword_ptr[LongModeMachine.PageTable + (SwitchedPage >> 12) * 8], rdx);
            ToggleGlobalPages();
            a.call(rax);
            a.mov(r10, rbx);
            a.hlt();
        });

        CallResults.AssertHaltsWith(machine, 1ul, 1ul, 2ul);
    }

    [Fact]
    public void User_code_of_one_process_is_never_run_for_another()
    {
        // The same user RIP maps to different code in two address spaces; the kernel switches CR3
        // between two SYSRETs to it, as a scheduler does between processes.
        using var machine = MachineWithTwoAddressSpaces(0x81000, 0x82000, 7, pageGlobalEnable: true);
        foreach (ulong frame in new ulong[] { 0x81000, 0x82000 })
        {
            machine.Assemble(frame, a =>
            {
                a.mov(ebx, frame == 0x81000 ? 1 : 2);
                a.syscall();
            });
        }
        const ulong SyscallEntry = LongModeMachine.KernelCode + 0x800;
        machine.Cpu.TryWriteMsr(ModelSpecificRegister.Lstar, SyscallEntry);
        machine.Assemble(SyscallEntry, a =>
        {
            a.cmp(r12, 0);
            var second = a.CreateLabel();
            a.jne(second);
            a.mov(r8, rbx);
            a.inc(r12);
            a.mov(rcx, OtherPml4);
            a.mov(cr3, rcx);
            a.mov(rcx, SwitchedPage);
            a.mov(r11, 2);
            a.sysretq();
            a.Label(ref second);
            a.mov(r9, rbx);
            a.hlt();
        });
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rcx, SwitchedPage);
            a.mov(r11, 2);
            a.sysretq();
        });

        CallResults.AssertHaltsWith(machine, 1ul, 2ul);
    }
}
