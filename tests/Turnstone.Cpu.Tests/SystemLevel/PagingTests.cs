using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>4-level paging: page-fault error codes and CR2 for each kind of violation, accessed and
/// dirty bits, 2 MiB and 1 GiB pages, and the TLB flushed by CR3 writes and INVLPG.</summary>
public sealed class PagingTests
{
    private const ulong Target = 0x61000;

    private static (int? Vector, ulong ErrorCode, ulong Cr2) RunUntilHalt(LongModeMachine machine)
    {
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        int? vector = machine.VectorFromHaltRip();
        ulong error = vector == 14 ? machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)) : 0;
        return (vector, error, machine.Cpu.Cr2);
    }

    [Theory]
    [InlineData("read not present", 0UL, 0UL)]
    [InlineData("write read-only (CR0.WP)", Target | 1, 3UL)]
    [InlineData("reserved bit", Target | 3 | (1UL << 45), 9UL)]
    [InlineData("execute no-execute", Target | 3 | (1UL << 63), 0x11UL)]
    public void Supervisor_faults_carry_the_error_code_and_cr2(string what, ulong pageEntry, ulong errorCode)
    {
        using var machine = new LongModeMachine();
        machine.SetPageEntry(Target, pageEntry);
        machine.Assemble(Target - 0x1000, a => a.ret());
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            if (what.StartsWith("execute", StringComparison.Ordinal))
            {
                a.mov(rax, Target);
                a.call(rax);
            }
            else if (what.StartsWith("write", StringComparison.Ordinal))
            {
                a.mov(__byte_ptr[Target + 8], 1);
            }
            else
            {
                a.mov(rax, __qword_ptr[Target + 8]);
            }
            a.hlt();
        });

        var (vector, error, cr2) = RunUntilHalt(machine);

        Assert.Equal(14, vector);
        Assert.Equal(errorCode, error);
        Assert.Equal(what.StartsWith("execute", StringComparison.Ordinal) ? Target : Target + 8, cr2);
    }

    [Fact]
    public void User_write_to_a_user_read_only_page_faults_with_user_write_present()
    {
        using var machine = new LongModeMachine();
        machine.SetPageEntry(Target, Target | 5);
        machine.Assemble(LongModeMachine.UserCode, a => a.mov(__dword_ptr[Target], 1));
        machine.EnterUserMode(LongModeMachine.UserCode);

        var (vector, error, cr2) = RunUntilHalt(machine);

        Assert.Equal(14, vector);
        Assert.Equal(7UL, error);
        Assert.Equal(Target, cr2);
    }

    [Fact]
    public void Accessed_and_dirty_bits_are_set_by_the_walk()
    {
        using var machine = new LongModeMachine();
        machine.SetPageEntry(Target, Target | 3);
        machine.SetPageEntry(Target + 0x1000, (Target + 0x1000) | 3);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[Target]);
            a.mov(__qword_ptr[Target + 0x1000], rax);
            a.hlt();
        });

        RunUntilHalt(machine);

        Assert.Equal(0x20UL, machine.ReadPageEntry(Target) & 0x60);
        Assert.Equal(0x60UL, machine.ReadPageEntry(Target + 0x1000) & 0x60);
    }

    [Fact]
    public void Large_pages_translate_and_a_cr3_write_flushes_the_tlb()
    {
        using var machine = new LongModeMachine();
        machine.WriteUInt64(0x30_0000, 0x2222);
        machine.WriteUInt64(LongModeMachine.DataPage, 0x1111);
        // PDPT[1]: a 1 GiB page at 1 GiB mapping physical 0.
        machine.WriteUInt64(LongModeMachine.Pdpt + 8, 0x83);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[0x30_0000]);
            a.mov(rbx, 0x4000_0000 + LongModeMachine.DataPage);
            a.mov(rbx, __qword_ptr[rbx]);
            a.mov(rcx, LongModeMachine.DataPage + 0x4000_0000);
            a.mov(__qword_ptr[LongModeMachine.Pdpt + 8], 0x4000_0083);
            a.mov(rdx, __qword_ptr[rcx]);
            a.mov(rsi, cr3);
            a.mov(cr3, rsi);
            a.mov(rdi, __qword_ptr[rcx]);
            a.hlt();
        });
        // The PDPT rewrite points the 1 GiB page elsewhere (physical 1 GiB, outside RAM: MMIO).
        var exit = machine.Cpu.Run(1000);

        Assert.Equal(0x2222UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x1111UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x1111UL, machine.Register(GeneralRegister.Rdx)); // still the cached translation
        Assert.Equal(CpuExitReason.MmioRead, exit.Reason);             // after the flush: the new one
        Assert.Equal(0x4000_0000UL + LongModeMachine.DataPage, exit.Address);
        machine.Cpu.CompleteRead(0x3333);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal(0x3333UL, machine.Register(GeneralRegister.Rdi));
    }
}
