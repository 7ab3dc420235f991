using System.Diagnostics;
using Iced.Intel;
using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Firmware.X86;
using Turnstone.Machine;
using Turnstone.Machine.Engines;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.UnitTests.Machine.Engines;

/// <summary>
/// Scripted 64-bit guests on the software CPU with the machine's own interrupt controllers and
/// timers (<see cref="SoftwareInterruptControllers"/>, <see cref="SoftwareVcpuInterrupts"/>) on
/// the host clock: the PIT's IRQ 0 through the I/O APIC and through the 8259 pair (ExtINT on
/// LINT0), an MSI from another thread waking HLT at once, and the MSRs the APIC takes over.
/// </summary>
public sealed class SoftwareVcpuInterruptsTests : IDisposable
{
    private const ulong CodeAddress = 0x10_0000, HandlerAddress = 0x11_0000, Pml4 = 0x1000, Gdt = 0x800, Idt = 0x30_0000;
    private const ushort PowerPort = 0x604;
    private const byte IoApicVector = 0x30, PicVectorBase = 0x20, MsiVector = 0x41;

    private readonly GuestPhysicalMemory _memory = GuestPhysicalMemory.Allocate((0, 4 << 20));
    private readonly DeviceBus _ports = new(), _mmio = new();
    private readonly MachineControl _control = new();
    private readonly SoftwareInterruptControllers _controllers = new();

    public SoftwareVcpuInterruptsTests()
    {
        _ports.Register(PowerPort, 2, new PowerOffDevice(_control));
        _controllers.Attach(_ports, _mmio);
    }

    public void Dispose()
    {
        _controllers.Dispose();
        _memory.Dispose();
    }

    private void Write(ulong address, Action<Assembler> program)
    {
        var a = new Assembler(64);
        program(a);
        var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), address);
        Assert.True(_memory.TryGetSpan(address, (int)code.Length, out var span));
        code.ToArray().CopyTo(span);
    }

    /// <summary>A 64-bit interrupt gate for <paramref name="vector"/> to <see cref="HandlerAddress"/>.</summary>
    private void Gate(byte vector)
    {
        Assert.True(_memory.TryGetSpan(Idt + vector * 16ul, 16, out var gate));
        gate.Clear();
        BitConverter.TryWriteBytes(gate, (ushort)(HandlerAddress & 0xFFFF));
        BitConverter.TryWriteBytes(gate[2..], X86Paging.BootCodeSelector);
        gate[5] = 0x8E;
        BitConverter.TryWriteBytes(gate[6..], (ushort)(HandlerAddress >> 16 & 0xFFFF));
        BitConverter.TryWriteBytes(gate[8..], (uint)(HandlerAddress >> 32));
    }

    /// <summary>Runs the loop on its own thread (as the machine's vCPU thread) until the guest powers off;
    /// <paramref name="meanwhile"/> runs on the test thread once the vCPU is running.</summary>
    private (MachineExit Exit, SoftwareCpu Cpu, SoftwareVcpuInterrupts Interrupts) Run(Action<Assembler> program, Action? meanwhile = null)
    {
        Write(CodeAddress, program);
        // The handler counts in R15 and ends the interrupt at the APIC, or at the PIC for its vectors.
        Write(HandlerAddress, a =>
        {
            var picVector = a.CreateLabel();
            a.inc(r15);
            a.cmp(r14, 0);
            a.jne(picVector);
            a.mov(rax, 0xFEE0_00B0ul);
            a.mov(__dword_ptr[rax], 0);
            a.iretq();
            a.Label(ref picVector);
            a.mov(al, 0x20);
            a.@out(0x20, al);
            a.iretq();
        });
        foreach (byte vector in new[] { IoApicVector, PicVectorBase, MsiVector })
        {
            Gate(vector);
        }
        ulong cr3 = X86Paging.WriteIdentityMap4GiB(_memory, Pml4);
        ushort gdtLimit = X86Paging.WriteBootGdt(_memory, Gdt);
        SoftwareCpu? cpu = null;
        SoftwareVcpuInterrupts? interrupts = null;
        using var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            cpu = new SoftwareCpu(_memory);
            SoftwareVcpuSetup.Apply(cpu, new BootCpuState
            {
                Rip = CodeAddress, Rsp = 0x8_0000, Cr3 = cr3, GdtBase = Gdt, GdtLimit = gdtLimit,
                CodeSelector = X86Paging.BootCodeSelector, DataSelector = X86Paging.BootDataSelector,
            });
            cpu.Idtr = new DescriptorTableRegister(Idt, 256 * 16 - 1);
            interrupts = new SoftwareVcpuInterrupts(cpu, _controllers);
            _control.AddKicker(cpu.RequestStop);
            _control.AddKicker(_controllers.Wake.Wake);
            var loop = new VcpuLoop(new SoftwareVcpuExitSource(cpu, interrupts), _ports, _mmio, _control);
            started.Set();
            loop.Run();
        });
        thread.Start();
        started.Wait();
        meanwhile?.Invoke();
        if (!thread.Join(TimeSpan.FromSeconds(30)))
        {
            _control.Stop(new MachineExit(MachineExitKind.Interrupted, "test timeout"));
            thread.Join();
        }
        return (_control.Exit!, cpu!, interrupts!);
    }

    private static void PowerOff(Assembler a)
    {
        a.mov(dx, PowerPort);
        a.mov(ax, 0x2000);
        a.@out(dx, ax);
        a.hlt();
    }

    private static void Mmio32(Assembler a, ulong address, uint value)
    {
        a.mov(rax, address);
        a.mov(__dword_ptr[rax], value);
    }

    /// <summary>PIT channel 0 as a 1 kHz rate generator, then <c>sti; hlt</c> until the handler counted <paramref name="count"/>.</summary>
    private static void WaitForTicks(Assembler a, int count)
    {
        a.mov(al, 0x34);
        a.@out(0x43, al);
        a.mov(al, 1193 & 0xFF);
        a.@out(0x40, al);
        a.mov(al, 1193 >> 8);
        a.@out(0x40, al);
        var wait = a.CreateLabel();
        a.Label(ref wait);
        a.sti();
        a.hlt();
        a.cli();
        a.cmp(r15, count);
        a.jb(wait);
        PowerOff(a);
    }

    [Fact]
    public void PIT_ticks_reach_the_guest_through_the_IO_APIC_and_HLT_sleeps_between_them()
    {
        var clock = Stopwatch.StartNew();
        var (exit, cpu, interrupts) = Run(a =>
        {
            a.xor(r15, r15);
            a.xor(r14, r14);
            a.mov(al, 0xFF); // both 8259s masked, as Linux leaves them
            a.@out(0x21, al);
            a.@out(0xA1, al);
            Mmio32(a, 0xFEE0_00F0, 0x1FF); // APIC software-enabled
            Mmio32(a, 0xFEC0_0000, 0x10); // I/O APIC pin 0, low half: vector 0x30, edge, unmasked
            Mmio32(a, 0xFEC0_0010, IoApicVector);
            WaitForTicks(a, 20);
        });

        Assert.True(exit.Kind == MachineExitKind.PowerOff, exit.ToString());
        // The handler counted every tick delivered. A 21st can come between the handler's IRETQ (IF
        // set again) and the CLI after HLT when the host held the vCPU back past a tick, as on hardware.
        Assert.InRange(cpu.GetRegister(GeneralRegister.R15), 20ul, 21ul);
        Assert.Equal((ulong)interrupts.InterruptsDelivered, cpu.GetRegister(GeneralRegister.R15));
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 18, 10_000);
        Assert.InRange(interrupts.HaltSleeps, 1, 200); // slept, not spun: a busy loop would retire millions of instructions
        Assert.InRange(cpu.InstructionsRetired, 100ul, 10_000ul);
    }

    [Fact]
    public void PIT_ticks_reach_a_guest_that_uses_only_the_8259_through_LINT0()
    {
        var (exit, cpu, _) = Run(a =>
        {
            a.xor(r15, r15);
            a.mov(r14, 1); // the handler ends interrupts at the PIC
            foreach (var (port, value) in new (byte, byte)[] { (0x20, 0x11), (0x21, PicVectorBase), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE) })
            {
                a.mov(al, value);
                a.@out(port, al);
            }
            WaitForTicks(a, 5);
        });

        Assert.True(exit.Kind == MachineExitKind.PowerOff, exit.ToString());
        Assert.Equal(5ul, cpu.GetRegister(GeneralRegister.R15));
    }

    [Fact]
    public void An_NMI_sent_through_the_ICR_reaches_the_guest_with_interrupts_off()
    {
        Gate(2);
        var (exit, cpu, interrupts) = Run(a =>
        {
            a.xor(r15, r15);
            a.xor(r14, r14);
            a.cli();
            Mmio32(a, 0xFEE0_00F0, 0x1FF);
            Mmio32(a, 0xFEE0_0300, 2u << 18 | 4u << 8); // ICR: all including self, NMI
            a.nop(); // delivered before the next block: the handler counts it and returns here
            PowerOff(a);
        });

        Assert.True(exit.Kind == MachineExitKind.PowerOff, exit.ToString());
        Assert.Equal(1ul, cpu.GetRegister(GeneralRegister.R15));
        Assert.False(cpu.NmisBlocked); // the handler's IRETQ ended the NMI
        Assert.Equal(1L, interrupts.InterruptsDelivered);
    }

    [Fact]
    public void An_MSI_from_another_thread_wakes_a_halted_vCPU_at_once()
    {
        var wakeLatency = new Stopwatch();
        var (exit, cpu, interrupts) = Run(a =>
        {
            a.xor(r15, r15);
            a.xor(r14, r14);
            Mmio32(a, 0xFEE0_00F0, 0x1FF);
            a.sti();
            a.hlt();
            a.cli();
            PowerOff(a);
        }, meanwhile: () =>
        {
            Thread.Sleep(300); // long enough for the guest to be asleep in HLT with no timer armed
            wakeLatency.Start();
            _controllers.MsiSink.Signal(0xFEE0_0000, MsiVector);
        });
        wakeLatency.Stop();

        Assert.True(exit.Kind == MachineExitKind.PowerOff, exit.ToString());
        Assert.Equal(1ul, cpu.GetRegister(GeneralRegister.R15));
        Assert.Equal(1L, interrupts.InterruptsDelivered);
        Assert.InRange(interrupts.HaltSleeps, 1, 3);
        Assert.InRange(wakeLatency.Elapsed.TotalMilliseconds, 0, 2_000);
    }

    [Fact]
    public void A_machine_stop_wakes_a_vCPU_asleep_in_HLT()
    {
        var stopLatency = new Stopwatch();
        var (exit, _, interrupts) = Run(a =>
        {
            var again = a.CreateLabel();
            a.Label(ref again);
            a.sti();
            a.hlt();
            a.jmp(again);
        }, meanwhile: () =>
        {
            Thread.Sleep(300);
            stopLatency.Start();
            _control.Stop(new MachineExit(MachineExitKind.Interrupted, "stopped by the user"));
        });
        stopLatency.Stop();

        Assert.Equal(MachineExitKind.Interrupted, exit.Kind);
        Assert.InRange(interrupts.HaltSleeps, 1, 3);
        Assert.InRange(stopLatency.Elapsed.TotalMilliseconds, 0, 2_000);
    }

    [Fact]
    public void The_APIC_takes_over_its_MSRs_and_the_TSC_reads_its_clock()
    {
        using var memory = GuestPhysicalMemory.Allocate((0, 1 << 20));
        var cpu = new SoftwareCpu(memory);
        Assert.True(cpu.TryWriteMsr(0x1B, 0xFEE0_0000)); // no APIC yet: the CPU keeps the value itself

        _ = new SoftwareVcpuInterrupts(cpu, _controllers);

        Assert.True(cpu.TryReadMsr(0x1B, out ulong apicBase));
        Assert.Equal(0xFEE0_0900ul, apicBase); // the APIC's own: enabled, bootstrap processor
        Assert.False(cpu.TryWriteMsr(0x1B, apicBase | 1ul << 10), "x2APIC mode is not offered: #GP");
        Assert.True(cpu.TryReadMsr(0x10, out ulong tsc));
        ulong apicTsc = _controllers.LocalApic.ReadTimeStampCounter();
        Assert.InRange((long)(apicTsc - tsc), 0, 1_000_000_000);
        _controllers.LocalApic.Write(0xF0, BitConverter.GetBytes(0x1FFu)); // software-enabled: LVTs can be unmasked
        _controllers.LocalApic.Write(0x320, BitConverter.GetBytes(0x4_00ECu)); // LVT timer: TSC-deadline mode
        Assert.True(cpu.TryWriteMsr(0x6E0, apicTsc + 5_000_000_000));
        Assert.Equal(apicTsc + 5_000_000_000, _controllers.LocalApic.TscDeadline);
        Assert.NotNull(_controllers.NextDeadlineNanoseconds());
    }

    private sealed class PowerOffDevice(MachineControl control) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data) => control.RequestPowerOff("test port");
    }
}
