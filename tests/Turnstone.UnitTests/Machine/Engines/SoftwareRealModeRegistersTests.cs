using Iced.Intel;
using Turnstone.Cpu;
using Turnstone.Firmware.Bios;
using Turnstone.Firmware.X86;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine.Engines;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.UnitTests.Machine.Engines;

/// <summary>The BIOS path on the software engine: the vCPU leaves reset in real mode at F000:FFF0, and
/// at a firmware-call exit its registers are read and written through the exit source.</summary>
public sealed class SoftwareRealModeRegistersTests : IDisposable
{
    private readonly GuestPhysicalMemory _memory = GuestPhysicalMemory.Allocate((0, 2 << 20));

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void A_firmware_call_exit_from_real_mode_exposes_and_takes_the_registers()
    {
        var a = new Assembler(16);
        a.mov(eax, 0x1234_5678);
        a.@out((byte)BiosStubLayout.FirmwareCallPort, al);
        a.mov(bx, __word_ptr[0x10]); // DS as the monitor left it
        a.hlt();
        var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), BiosStubLayout.ResetVectorOffset);
        Assert.True(_memory.TryGetSpan(BiosStubLayout.RomBase + BiosStubLayout.ResetVectorOffset, (int)code.Length, out var span));
        code.ToArray().CopyTo(span);
        Assert.True(_memory.TryGetSpan(0x20010, 2, out var data));
        data[0] = 0xCD;
        data[1] = 0xAB;

        var cpu = new SoftwareCpu(_memory);
        SoftwareVcpuSetup.Apply(cpu, BootCpuState.RealModeReset(BiosStubLayout.RomSegment, BiosStubLayout.ResetVectorOffset));
        var source = new SoftwareVcpuExitSource(cpu);

        var exit = source.Run();
        Assert.Equal(VcpuExitReason.Io, exit.Reason);
        Assert.Equal(BiosStubLayout.FirmwareCallPort, exit.IoPort);
        var registers = ((IVcpuExitSourceAccess)new(source)).Registers!;
        Assert.Equal(BiosStubLayout.RomSegment, registers.Cs);
        Assert.Equal(0xFFF8, registers.Ip); // after the 6-byte MOV EAX and the 2-byte OUT
        Assert.Equal(0x1234_5678u, registers.Eax);
        registers.Ds = 0x2000;
        registers.Eflags |= 1;
        registers.Commit();

        Assert.Equal(VcpuExitReason.Hlt, source.Run().Reason);
        Assert.Equal(0xABCDul, cpu.GetRegister(GeneralRegister.Rbx) & 0xFFFF);
        Assert.Equal(0x20000ul, cpu.GetSegment(SegmentName.Ds).Base);
        Assert.Equal(1ul, cpu.Rflags & 1);
    }

    /// <summary>The exit source through the interface the firmware call port uses.</summary>
    private readonly record struct IVcpuExitSourceAccess(Turnstone.Machine.IVcpuExitSource Source)
    {
        public Turnstone.Machine.Bios.VcpuRegisterWindow? Registers => Source.RealModeRegisters();
    }
}
