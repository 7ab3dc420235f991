using Iced.Intel;
using Turnstone.Bench.Bare;
using Turnstone.Hypervisor.Quirks;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Instructions the nested host's emulator rejects at CPL 0, run in a real VM. On such a host the
/// monitor's fallback produces the results; on an ordinary host the CPU does. Either way the
/// architectural result must be the same, which is what these tests check.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EmulationFallbackTests
{
    private const byte Done = 0x10;

    // On a host that emulates guest CPL 0 (kvm_pvm), these instructions must have gone through the
    // monitor's fallback; elsewhere the CPU ran them and the count is legitimately zero.
    private static void AssertEmulatedOnNestedHost(PortStop stop, int atLeast)
    {
        if (HostQuirks.Detect().MisdeliversUserSystemCalls)
        {
            Assert.True(stop.EmulatedInstructions >= atLeast, $"expected the fallback to emulate at least {atLeast}, it emulated {stop.EmulatedInstructions}");
        }
    }

    [KvmFact]
    public void Int3AtCpl0DeliversBreakpointWithReturnAddressAfterTheInstruction()
    {
        Label afterInt3 = default;
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            afterInt3 = a.CreateLabel();
            a.int3();
            a.Label(ref afterInt3);
            a.@out(Done, al);
        }, userMode: false, stopPort: FlatLongModeVm.ExceptionPort);

        Assert.Equal(3, stop.Value);
        // 64-bit delivery pushes SS, RSP, RFLAGS, CS, RIP on the current (CPL 0) stack; int3 is a trap,
        // so the saved RIP is the instruction after it.
        Assert.Equal(FlatLongModeVm.StackTop - 40, stop.Registers.Rsp);
        Assert.Equal(FlatLongModeVm.CodeAddress + 1, BitConverter.ToUInt64(stop.StackAtRsp, 0));
        AssertEmulatedOnNestedHost(stop, 1);
    }

    [KvmFact]
    public void PopcntCountsBitsAndSetsZeroFlag()
    {
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.mov(rax, 0xF0F0_0000_0000_0001);
            a.popcnt(rbx, rax);
            a.xor(rdx, rdx);
            a.popcnt(rcx, rdx); // zero source sets ZF
            a.pushfq();
            a.pop(rsi);
            a.@out(Done, al);
        }, userMode: false, stopPort: Done);

        Assert.Equal(9ul, stop.Registers.Rbx);
        Assert.Equal(0ul, stop.Registers.Rcx);
        Assert.NotEqual(0ul, stop.Registers.Rsi & 0x40);
        AssertEmulatedOnNestedHost(stop, 2);
    }

    [KvmFact]
    public void StacAndClacToggleAlignmentCheck()
    {
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.stac();
            a.pushfq();
            a.pop(rbx);
            a.clac();
            a.pushfq();
            a.pop(rcx);
            a.@out(Done, al);
        }, userMode: false, stopPort: Done);

        Assert.NotEqual(0ul, stop.Registers.Rbx & (1 << 18));
        Assert.Equal(0ul, stop.Registers.Rcx & (1 << 18));
        AssertEmulatedOnNestedHost(stop, 2);
    }

    [KvmFact]
    public void Cmpxchg16bSwapsWhenEqualAndLoadsWhenNot()
    {
        const ulong Data = FlatLongModeVm.DataAddress;
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.mov(rdi, Data);
            a.mov(__qword_ptr[rdi], 1);
            a.mov(__qword_ptr[rdi + 8], 2);
            a.mov(rax, 1);
            a.mov(rdx, 2);
            a.mov(rbx, 0x33);
            a.mov(rcx, 0x44);
            a.@lock.cmpxchg16b(__oword_ptr[rdi]); // equal: memory becomes 0x33:0x44, ZF=1
            a.pushfq();
            a.pop(r8);
            a.mov(rax, 7);
            a.mov(rdx, 7);
            a.@lock.cmpxchg16b(__oword_ptr[rdi]); // not equal: RDX:RAX loaded with 0x44:0x33, ZF=0
            a.pushfq();
            a.pop(r9);
            a.mov(r10, __qword_ptr[rdi]);
            a.mov(r11, __qword_ptr[rdi + 8]);
            a.@out(Done, al);
        }, userMode: false, stopPort: Done);

        Assert.NotEqual(0ul, stop.Registers.R8 & 0x40);
        Assert.Equal(0ul, stop.Registers.R9 & 0x40);
        Assert.Equal((0x33ul, 0x44ul), (stop.Registers.Rax, stop.Registers.Rdx));
        Assert.Equal((0x33ul, 0x44ul), (stop.Registers.R10, stop.Registers.R11));
        AssertEmulatedOnNestedHost(stop, 2);
    }

    [KvmFact]
    public void LdmxcsrAndStmxcsrRoundTrip()
    {
        const ulong Data = FlatLongModeVm.DataAddress;
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.mov(rdi, Data);
            a.mov(__dword_ptr[rdi], 0x1F80 | 0x6000); // all masked, round toward zero
            a.ldmxcsr(__dword_ptr[rdi]);
            a.stmxcsr(__dword_ptr[rdi + 4]);
            a.mov(ebx, __dword_ptr[rdi + 4]);
            a.@out(Done, al);
        }, userMode: false, stopPort: Done);

        Assert.Equal(0x7F80ul, stop.Registers.Rbx);
        AssertEmulatedOnNestedHost(stop, 1);
    }

    [KvmFact]
    public void XrstorThenXsaveCarriesSseStateThroughTheVcpu()
    {
        // Only XSAVE-family instructions touch XMM0 here: the host's emulator rejects ordinary SSE
        // instructions at CPL 0 too, and kernels do not use them outside FPU sections.
        const ulong Source = FlatLongModeVm.DataAddress, Target = FlatLongModeVm.DataAddress + 0x1000;
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.mov(rax, cr4);
            a.or(rax, 1 << 18); // CR4.OSXSAVE
            a.mov(cr4, rax);
            a.xor(ecx, ecx);
            a.mov(eax, 3);      // XCR0 = x87 | SSE
            a.xor(edx, edx);
            a.xsetbv();
            a.mov(rdi, Source);
            a.mov(rax, 0x1122_3344_5566_7788);
            a.mov(__qword_ptr[rdi + 160], rax);      // XMM0, low half
            a.mov(__dword_ptr[rdi + 24], 0x1F80 | 0x6000); // MXCSR
            a.mov(__qword_ptr[rdi + 512], 2);        // XSTATE_BV: SSE in use
            a.mov(eax, 3);
            a.xor(edx, edx);
            a.xrstor(__[rdi]);
            a.mov(rsi, Target);
            a.xsave(__[rsi]);
            a.mov(rbx, __qword_ptr[rsi + 160]);
            a.mov(ecx, __dword_ptr[rsi + 24]);
            a.mov(rdx, __qword_ptr[rsi + 512]);
            a.@out(Done, al);
        }, userMode: false, stopPort: Done);

        Assert.Equal(0x1122_3344_5566_7788ul, stop.Registers.Rbx);
        Assert.Equal(0x7F80ul, stop.Registers.Rcx);
        Assert.NotEqual(0ul, stop.Registers.Rdx & 2);
        AssertEmulatedOnNestedHost(stop, 2);
    }

    [KvmFact]
    public void SseMovesBetweenGeneralAndXmmRegistersAndMemory()
    {
        // movd xmm15, ecx is what Debian's cloud kernel stopped on (inside a kernel_fpu_begin section).
        const ulong Data = FlatLongModeVm.DataAddress;
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.mov(ecx, 0x1234_5678);
            a.movd(xmm15, ecx);
            a.movq(rbx, xmm15);
            a.mov(rdi, Data);
            a.mov(rax, 0x0102_0304_0506_0708);
            a.mov(__qword_ptr[rdi], rax);
            a.mov(__qword_ptr[rdi + 8], rax);
            a.movdqa(xmm3, __xmmword_ptr[rdi]);
            a.movdqu(__xmmword_ptr[rdi + 16], xmm3);
            a.mov(rsi, __qword_ptr[rdi + 24]);
            a.pxor(xmm3, xmm3);
            a.movq(rdx, xmm3);
            a.@out(Done, al);
        }, userMode: false, stopPort: Done);

        Assert.Equal(0x1234_5678ul, stop.Registers.Rbx);
        Assert.Equal(0x0102_0304_0506_0708ul, stop.Registers.Rsi);
        Assert.Equal(0ul, stop.Registers.Rdx);
        AssertEmulatedOnNestedHost(stop, 1); // the host emulates some of these itself, not movd
    }

    [KvmFact]
    public void UserModeSystemCallReachesLstarWithSyscallRegisters()
    {
        var stop = BareGuest.RunUntilPortWrite(a =>
        {
            a.@out(0x11, al); // 2 bytes; an exit first, as any kernel makes before user mode, so the monitor has read the IDT
            a.pushfq();       // 1 byte
            a.pop(rbx);       // 1 byte
            a.syscall();      // 2 bytes: the return address is CodeAddress + 6
            a.@out(Done, al);
        }, userMode: true, stopPort: FlatLongModeVm.SystemCallPort);

        Assert.Equal(0x5C, stop.Value);
        Assert.Equal(FlatLongModeVm.CodeAddress + 6, stop.Registers.Rcx);
        Assert.Equal(stop.Registers.Rbx, stop.Registers.R11); // the user's RFLAGS image
        Assert.Equal(FlatLongModeVm.StackTop, stop.Registers.Rsp); // SYSCALL keeps the user stack
        Assert.Equal(0ul, stop.Registers.Rflags & 0x200); // SFMASK cleared IF
        if (HostQuirks.Detect().MisdeliversUserSystemCalls)
        {
            Assert.Equal(1, stop.SystemCallsRepaired);
        }
    }
}
