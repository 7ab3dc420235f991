using Iced.Intel;
using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Firmware.X86;
using Turnstone.Machine;
using Turnstone.Machine.Engines;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.UnitTests.Machine.Engines;

/// <summary>
/// The software CPU driven by <see cref="VcpuLoop"/> through <see cref="SoftwareVcpuExitSource"/>,
/// entered in the state a boot path asks for (<see cref="SoftwareVcpuSetup"/>): port and MMIO
/// reads take the devices' answers, writes carry the guest's values, the stop control ends a guest
/// spinning with interrupts off, and an instruction the engine lacks ends the machine with a report.
/// </summary>
public sealed class SoftwareVcpuExitSourceTests : IDisposable
{
    private const ulong CodeAddress = 0x10_0000, Pml4 = 0x1000, Gdt = 0x800;
    private const ushort DataPort = 0x3F8, PowerPort = 0x604;
    private const ulong MmioBase = 0xFEB0_0000;

    private readonly GuestPhysicalMemory _memory = GuestPhysicalMemory.Allocate((0, 4 << 20));
    private readonly DeviceBus _ports = new(), _mmio = new();
    private readonly MachineControl _control = new();
    private readonly AnsweringDevice _portDevice = new(0x41), _mmioDevice = new(0x5A);

    public SoftwareVcpuExitSourceTests()
    {
        _ports.Register(DataPort, 8, _portDevice);
        _ports.Register(PowerPort, 2, new PowerOffDevice(_control));
        _mmio.Register(MmioBase, 0x1000, _mmioDevice);
    }

    public void Dispose() => _memory.Dispose();

    /// <summary>Boots <paramref name="program"/> in 64-bit long mode on an identity map, as the Linux 64-bit entry does, and runs the loop until it stops.</summary>
    private (MachineExit Exit, SoftwareVcpuExitSource Source) Run(Action<Assembler> program, bool stopFromAnotherThread = false)
    {
        var a = new Assembler(64);
        program(a);
        var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), CodeAddress);
        Assert.True(_memory.TryGetSpan(CodeAddress, (int)code.Length, out var span));
        code.ToArray().CopyTo(span);
        ulong cr3 = X86Paging.WriteIdentityMap4GiB(_memory, Pml4);
        ushort gdtLimit = X86Paging.WriteBootGdt(_memory, Gdt);
        var cpu = new SoftwareCpu(_memory);
        SoftwareVcpuSetup.Apply(cpu, new BootCpuState
        {
            Rip = CodeAddress, Rsp = 0x8_0000, Cr3 = cr3, GdtBase = Gdt, GdtLimit = gdtLimit,
            CodeSelector = X86Paging.BootCodeSelector, DataSelector = X86Paging.BootDataSelector,
        });
        var source = new SoftwareVcpuExitSource(cpu);
        _control.AddKicker(cpu.RequestStop);
        var loop = new VcpuLoop(source, _ports, _mmio, _control);
        var thread = new Thread(loop.Run);
        thread.Start();
        if (stopFromAnotherThread)
        {
            Thread.Sleep(200);
            _control.Stop(new MachineExit(MachineExitKind.Interrupted, "stopped by the user"));
        }
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the loop did not stop");
        return (_control.Exit!, source);
    }

    private static void PowerOff(Assembler a)
    {
        a.mov(dx, PowerPort);
        a.mov(ax, 0x2000);
        a.@out(dx, ax);
        a.hlt();
    }

    [Fact]
    public void Port_and_MMIO_reads_take_the_devices_answers_and_writes_carry_the_guests_values()
    {
        var (exit, source) = Run(a =>
        {
            a.mov(dx, DataPort);
            a.@in(al, dx);                 // 0x41 from the device
            a.add(al, 1);
            a.@out(dx, al);                // 0x42 back
            a.mov(rbx, MmioBase);
            a.mov(rax, __qword_ptr[rbx]);  // eight 0x5A bytes
            a.not(rax);
            a.mov(__dword_ptr[rbx + 0x10], eax);
            PowerOff(a);
        });

        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        Assert.Equal([(0ul, "42")], _portDevice.Writes);
        Assert.Equal([(0x10ul, "A5-A5-A5-A5")], _mmioDevice.Writes);
        Assert.Equal([0ul], _mmioDevice.ReadOffsets);
        Assert.True(source.Cpu.InstructionsRetired >= 9);
    }

    [Fact]
    public void A_guest_spinning_with_interrupts_off_is_stopped_by_the_machine_control()
    {
        var (exit, _) = Run(a =>
        {
            Label spin = a.CreateLabel();
            a.cli();
            a.Label(ref spin);
            a.jmp(spin);
        }, stopFromAnotherThread: true);

        Assert.Equal(MachineExitKind.Interrupted, exit.Kind);
    }

    [Fact]
    public void An_instruction_the_engine_lacks_ends_the_machine_with_its_description_and_the_CPU_report()
    {
        var (exit, _) = Run(a =>
        {
            a.nop();
            a.haddps(xmm0, xmm1); // SSE3: not implemented (CPUID does not report it)
        });

        Assert.Equal(MachineExitKind.Error, exit.Kind);
        Assert.Contains("not implemented by the software engine", exit.Reason);
        Assert.Contains("haddps", exit.Reason);
        Assert.NotNull(exit.Report);
        Assert.Contains("software engine", exit.Report);
        Assert.Contains($"rip={CodeAddress + 1:x16}", exit.Report);
        Assert.Contains("haddps", exit.Report);
    }

    [Fact]
    public void Halting_with_no_interrupt_controller_to_wake_the_CPU_ends_the_machine()
    {
        var (exit, _) = Run(a =>
        {
            a.sti();
            a.hlt();
        });

        Assert.Equal(MachineExitKind.Error, exit.Kind);
        Assert.Equal("guest halted with interrupts that can never arrive", exit.Reason);
    }

    [Fact]
    public void A_device_writing_guest_RAM_at_an_exit_replaces_code_the_CPU_already_decoded()
    {
        const ulong Routine = CodeAddress + 0x1000;
        WriteCode(Routine, a =>
        {
            a.mov(eax, 1);
            a.ret();
        });
        var dma = new DmaDevice(_memory, Routine, Assembled(Routine, a =>
        {
            a.mov(eax, 2);
            a.ret();
        }));
        _mmio.Register(MmioBase + 0x1000, 0x1000, dma);

        var (exit, _) = Run(a =>
        {
            a.mov(rbx, MmioBase + 0x1000);
            a.mov(ecx, (uint)Routine);
            a.call(rcx);
            a.mov(__dword_ptr[rbx], eax);     // the device records 1, then writes the new routine as DMA would
            a.call(rcx);
            a.mov(__dword_ptr[rbx], eax);     // 2: the decoded "mov eax, 1" was dropped
            PowerOff(a);
        });

        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        Assert.Equal([1u, 2u], dma.Values);
    }

    private static byte[] Assembled(ulong address, Action<Assembler> program)
    {
        var a = new Assembler(64);
        program(a);
        var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), address);
        return code.ToArray();
    }

    private void WriteCode(ulong address, Action<Assembler> program)
    {
        byte[] code = Assembled(address, program);
        Assert.True(_memory.TryGetSpan(address, code.Length, out var span));
        code.CopyTo(span);
    }

    /// <summary>On its first write, writes <paramref name="code"/> at <paramref name="address"/> through the
    /// machine's memory, as a virtio device's DMA does on the vCPU thread at a notify exit.</summary>
    private sealed class DmaDevice(GuestPhysicalMemory memory, ulong address, byte[] code) : IBusDevice
    {
        public List<uint> Values { get; } = [];

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            Values.Add(BitConverter.ToUInt32(data));
            if (Values.Count == 1)
            {
                Assert.True(memory.TryGetSpan(address, code.Length, out var span));
                code.CopyTo(span);
            }
        }
    }

    private sealed class AnsweringDevice(byte answer) : IBusDevice
    {
        public List<(ulong Offset, string Bytes)> Writes { get; } = [];
        public List<ulong> ReadOffsets { get; } = [];

        public void Read(ulong offset, Span<byte> data)
        {
            ReadOffsets.Add(offset);
            data.Fill(answer);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Add((offset, BitConverter.ToString(data.ToArray())));
    }

    private sealed class PowerOffDevice(MachineControl control) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data) => control.RequestPowerOff("test port");
    }
}
