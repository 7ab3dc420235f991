using Iced.Intel;
using Turnstone.Bench.Bare;
using Turnstone.GuestMemory;
using Turnstone.HostIo;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The in-kernel notification paths a virtio-pci device relies on, in real VMs: a guest write to a
/// registered notify address signals an eventfd without an exit to the monitor, and an MSI sent
/// from a worker thread reaches the guest's interrupt handler without the monitor running the vCPU.
/// </summary>
[Trait("Category", "Integration")]
public sealed class IoEventFdTests
{
    // The guest writes 2 bytes (a virtio queue index) to each of these, then reports on SyncPort.
    private const ulong NotifyAddress = 0x20_0000, NeighbourAddress = NotifyAddress + 2;
    private const ushort NotifyPort = 0x1000, NeighbourPort = NotifyPort + 2;
    private const ushort QueueIndex = 0x0003;
    private const byte SyncPort = 0xF0;
    // An I/O APIC pin above the ISA IRQs, as the PCI INTx lines use: no 8259 sits behind it.
    private const uint IrqFdGsi = 20;

    /// <summary>What left the guest for the monitor during one pass of the notify loop.</summary>
    private sealed record Pass(List<ulong> MmioWrites, List<ushort> PortWrites);

    [KvmFact]
    public void MmioWriteToRegisteredAddressSignalsTheEventFdWithoutAnExit()
    {
        var (pass, signals) = RunNotifyLoop((vm, fd) => [vm.RegisterIoEvent(fd, NotifyAddress, 2, isPortIo: false)], passes: 1)[0];

        Assert.Equal(1ul, signals);
        Assert.Equal([NeighbourAddress], pass.MmioWrites);
        Assert.Equal([NotifyPort, NeighbourPort], pass.PortWrites);
    }

    [KvmFact]
    public void PortWriteToRegisteredPortSignalsTheEventFdWithoutAnExit()
    {
        var (pass, signals) = RunNotifyLoop((vm, fd) => [vm.RegisterIoEvent(fd, NotifyPort, 2, isPortIo: true)], passes: 1)[0];

        Assert.Equal(1ul, signals);
        Assert.Equal([NotifyAddress, NeighbourAddress], pass.MmioWrites);
        Assert.Equal([NeighbourPort], pass.PortWrites);
    }

    [KvmFact]
    public void WriteOfAnotherValueThanTheDataMatchExits()
    {
        var (pass, signals) = RunNotifyLoop((vm, fd) =>
            [vm.RegisterIoEvent(fd, NotifyAddress, 2, isPortIo: false, dataMatch: QueueIndex + 1)], passes: 1)[0];

        Assert.Equal(0ul, signals);
        Assert.Equal([NotifyAddress, NeighbourAddress], pass.MmioWrites);
    }

    [KvmFact]
    public void AfterTheRegistrationIsDisposedWritesExitAgain()
    {
        var passes = RunNotifyLoop((vm, fd) =>
        [
            vm.RegisterIoEvent(fd, NotifyAddress, 2, isPortIo: false, dataMatch: QueueIndex),
            vm.RegisterIoEvent(fd, NotifyPort, 2, isPortIo: true),
        ], passes: 2);

        Assert.Equal(2ul, passes[0].Signals);
        Assert.Equal([NeighbourAddress], passes[0].Pass.MmioWrites);
        Assert.Equal([NeighbourPort], passes[0].Pass.PortWrites);
        Assert.Equal(0ul, passes[1].Signals);
        Assert.Equal([NotifyAddress, NeighbourAddress], passes[1].Pass.MmioWrites);
        Assert.Equal([NotifyPort, NeighbourPort], passes[1].Pass.PortWrites);
    }

    [KvmFact]
    public void SignalMsiReportsNoDeliveryWithoutAnEnabledLocalApic()
    {
        using var kvm = Kvm.Open();
        using var vm = kvm.CreateVm();
        vm.CreatePlatformInterruptControllers();
        // No vCPU yet: KVM finds no local APIC to deliver to.
        Assert.False(vm.SignalMsi(InterruptGuest.MsiAddress, InterruptGuest.Vector));
        // After reset a local APIC is software-disabled (SVR bit 8 clear), so the guest blocks the MSI.
        Kvm.OnVcpuThread(() =>
        {
            using var vcpu = vm.CreateVcpu(0);
            Assert.False(vm.SignalMsi(InterruptGuest.MsiAddress, InterruptGuest.Vector));
            return 0;
        });
    }

    [KvmFact]
    public void SignalMsiWithoutInKernelInterruptControllersNamesTheIoctl()
    {
        using var kvm = Kvm.Open();
        using var vm = kvm.CreateVm();

        var error = Assert.Throws<KvmException>(() => vm.SignalMsi(InterruptGuest.MsiAddress, InterruptGuest.Vector));
        Assert.Contains("KVM_SIGNAL_MSI", error.Message);
    }

    [KvmFact]
    public void MsiSignalledFromAnotherThreadReachesTheGuestHandler()
    {
        var (deliveredBeforeEnable, deliveredAfterEnable, handledVector) = Kvm.OnVcpuThread(InterruptGuest.RunMsi);

        Assert.False(deliveredBeforeEnable);
        Assert.True(deliveredAfterEnable);
        Assert.Equal(InterruptGuest.Vector, handledVector);
    }

    [KvmFact]
    public void IrqFdSignalledFromAnotherThreadReachesTheGuestThroughTheIoApicUntilDeassigned()
    {
        var (handledVector, afterDeassign) = Kvm.OnVcpuThread(() => InterruptGuest.RunIrqFd(IrqFdGsi));

        Assert.Equal(InterruptGuest.Vector, handledVector);
        // Deassigned, a signal no longer interrupts the guest: the halted vCPU only returns for the kick.
        Assert.Equal(VcpuExitReason.Interrupted, afterDeassign);
    }

    /// <summary>
    /// Runs a guest that, once per pass, writes <see cref="QueueIndex"/> as 2 bytes to the notify and
    /// neighbour addresses, then to the notify and neighbour ports, then reports on the sync port.
    /// The registrations are made before the first pass and disposed after it; for each pass the
    /// result holds the writes that exited and what the eventfd counted.
    /// </summary>
    private static List<(Pass Pass, ulong Signals)> RunNotifyLoop(Func<VirtualMachine, EventFd, IoEventRegistration[]> register, int passes)
    {
        return Kvm.OnVcpuThread(() =>
        {
            using var kvm = Kvm.Open();
            using var guest = FlatLongModeVm.Create(kvm, a =>
            {
                var loop = a.CreateLabel();
                a.mov(rbx, NotifyAddress);
                a.mov(eax, QueueIndex);
                a.Label(ref loop);
                a.mov(__word_ptr[rbx], ax);
                a.mov(__word_ptr[rbx + 2], ax);
                a.mov(dx, NotifyPort);
                a.@out(dx, ax);
                a.mov(dx, NeighbourPort);
                a.@out(dx, ax);
                a.@out(SyncPort, al);
                a.jmp(loop);
            }, userMode: false);
            MapMmioPage(guest);
            using var fd = new EventFd();
            var registrations = register(guest.Vm, fd);
            var results = new List<(Pass, ulong)>();
            for (int i = 0; i < passes; i++)
            {
                var pass = RunOnePass(guest);
                fd.TryRead(out ulong signals);
                results.Add((pass, signals));
                foreach (var registration in registrations)
                {
                    registration.Dispose();
                }
            }
            return results;
        });
    }

    /// <summary>Identity-maps the 2 MiB above the VM's RAM with one large page: nothing backs it, so accesses are MMIO.</summary>
    private static void MapMmioPage(FlatLongModeVm guest)
    {
        const ulong Present = 1, Writable = 2, LargePage = 0x80, Frame = 0x000F_FFFF_FFFF_F000;
        ulong pml4 = guest.Vcpu.GetSpecialRegisters().Cr3 & Frame;
        ulong pageDirectory = guest.Memory.ReadUInt64(guest.Memory.ReadUInt64(pml4) & Frame) & Frame;
        guest.Memory.WriteUInt64(pageDirectory + NotifyAddress / 0x20_0000 * 8, NotifyAddress | Present | Writable | LargePage);
    }

    private static Pass RunOnePass(FlatLongModeVm guest)
    {
        var pass = new Pass([], []);
        for (int exits = 0; exits < 100; exits++)
        {
            var exit = guest.Vcpu.Run();
            switch (exit.Reason)
            {
                case VcpuExitReason.Io when exit.IoPort == SyncPort:
                    return pass;
                case VcpuExitReason.Io when exit.IoIsWrite && exit.IoPort != FlatLongModeVm.ExceptionPort:
                    Assert.Equal(QueueIndex, BitConverter.ToUInt16(guest.Vcpu.IoData));
                    pass.PortWrites.Add(exit.IoPort);
                    break;
                case VcpuExitReason.Mmio when exit.MmioIsWrite:
                    Assert.Equal(QueueIndex, BitConverter.ToUInt16(guest.Vcpu.MmioData));
                    pass.MmioWrites.Add(exit.MmioAddress);
                    break;
                default:
                    throw new InvalidOperationException(VcpuStateReport.Build(guest.Vcpu, guest.Memory, "unexpected exit", exit));
            }
        }
        throw new InvalidOperationException("the guest did not reach its sync port within 100 exits");
    }

    /// <summary>
    /// A guest on the in-kernel interrupt controllers (which <see cref="FlatLongModeVm"/> lacks: they
    /// must exist before the first vCPU): it software-enables its local APIC, routes an I/O APIC pin
    /// to <see cref="Vector"/> if asked, reports ready, then halts with interrupts on. Its handler
    /// for <see cref="Vector"/> writes the vector to a port, acknowledges the interrupt at the local
    /// APIC and returns to the halt loop, so a second interrupt would be seen too.
    /// </summary>
    private static class InterruptGuest
    {
        public const byte Vector = 0x40;
        public const ulong MsiAddress = 0xFEE0_0000; // destination APIC ID 0, physical mode
        private const ulong LocalApic = 0xFEE0_0000, SpuriousVector = LocalApic + 0xF0, EndOfInterrupt = LocalApic + 0xB0;
        private const ulong IoApic = 0xFEC0_0000, IoApicWindow = IoApic + 0x10;
        private const ulong Pml4 = 0x1000, LowPdpt = 0x2000, LowPd = 0x3000, HighPd = 0x4000, Gdt = 0x5000, Idt = 0x6000;
        private const ulong Handler = 0x7000, StackTop = 0x9000, Code = 0x10000;
        private const byte ReadyPort = 0xF1, HandledPort = 0xF2;

        /// <summary>The VM, RAM and a vCPU in long mode at the guest's code, on the calling thread.</summary>
        private static (KvmSystem Kvm, VirtualMachine Vm, Vcpu Vcpu) Start(uint? ioApicPin)
        {
            var kvm = Kvm.Open();
            VirtualMachine? vm = null;
            Vcpu? vcpu = null;
            try
            {
                vm = kvm.CreateVm();
                vm.CreatePlatformInterruptControllers();
                vm.AddRam(0, 0x20_0000);
                Build(vm.Memory, ioApicPin);
                vcpu = vm.CreateVcpu(0);
                vcpu.SetCpuid(CpuidPolicy.For(kvm.GetSupportedCpuid(), vcpu.Id));
                EnterLongMode(vcpu);
                return (kvm, vm, vcpu);
            }
            catch
            {
                vcpu?.Dispose();
                vm?.Dispose();
                kvm.Dispose();
                throw;
            }
        }

        public static (bool BeforeEnable, bool AfterEnable, byte Handled) RunMsi()
        {
            var (kvm, vm, vcpu) = Start(ioApicPin: null);
            using var disposeKvm = kvm;
            using var disposeVm = vm;
            using var disposeVcpu = vcpu;

            bool beforeEnable = vm.SignalMsi(MsiAddress, Vector);
            AssertExit(vcpu.Run(), ReadyPort);
            // The vCPU is about to halt inside KVM; a worker thread's MSI must wake it on its own.
            var sender = Task.Run(async () =>
            {
                await Task.Delay(50);
                return vm.SignalMsi(MsiAddress, Vector);
            });
            using var watchdog = new Timer(_ => vcpu.Kick(), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);
            var exit = vcpu.Run();
            AssertExit(exit, HandledPort);
            return (beforeEnable, sender.GetAwaiter().GetResult(), vcpu.IoData[0]);
        }

        /// <summary>
        /// An irqfd on <paramref name="gsi"/>, which the guest routes through the I/O APIC: a signal
        /// from another thread must reach the guest's handler while the vCPU halts inside KVM. Then
        /// the irqfd is deassigned and signalled again: the guest must not see that one, so the vCPU
        /// stays halted until a kick. Last, the same eventfd and line can be registered again.
        /// </summary>
        public static (byte Handled, VcpuExitReason AfterDeassign) RunIrqFd(uint gsi)
        {
            var (kvm, vm, vcpu) = Start(ioApicPin: gsi);
            using var disposeKvm = kvm;
            using var disposeVm = vm;
            using var disposeVcpu = vcpu;
            using var line = new EventFd();
            var registration = vm.RegisterIrqFd(line, gsi);
            AssertExit(vcpu.Run(), ReadyPort);

            byte handled;
            using (new Timer(_ => vcpu.Kick(), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan))
            {
                var sender = Task.Run(async () =>
                {
                    await Task.Delay(50);
                    line.Signal();
                });
                AssertExit(vcpu.Run(), HandledPort);
                sender.GetAwaiter().GetResult();
                handled = vcpu.IoData[0];
            }

            registration.Dispose();
            line.Signal();
            VcpuExit afterDeassign;
            using (new Timer(_ => vcpu.Kick(), null, TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan))
            {
                // The handler acknowledges the first interrupt and returns to the halt loop; only the kick ends this run.
                afterDeassign = vcpu.Run();
            }

            vm.RegisterIrqFd(line, gsi).Dispose();
            return (handled, afterDeassign.Reason);
        }

        private static void AssertExit(VcpuExit exit, byte port) =>
            Assert.True(exit.Reason == VcpuExitReason.Io && exit.IoPort == port, $"expected a write to port 0x{port:x}, got {exit}");

        private static void Build(IGuestMemory memory, uint? ioApicPin)
        {
            const ulong Present = 1, Writable = 2, LargePage = 0x80, NoCache = 0x10;
            memory.WriteUInt64(Pml4, LowPdpt | Present | Writable);
            memory.WriteUInt64(LowPdpt, LowPd | Present | Writable);
            memory.WriteUInt64(LowPd, 0 | Present | Writable | LargePage); // RAM, identity-mapped
            memory.WriteUInt64(LowPdpt + 3 * 8, HighPd | Present | Writable); // 3-4 GiB
            memory.WriteUInt64(HighPd + (LocalApic >> 21 & 0x1FF) * 8, (LocalApic & ~0x1F_FFFFul) | Present | Writable | LargePage | NoCache);
            if (ioApicPin is not null)
            {
                // Its own 2 MiB page: 0xFEC00000 and the local APIC's 0xFEE00000 are in different ones.
                memory.WriteUInt64(HighPd + (IoApic >> 21 & 0x1FF) * 8, (IoApic & ~0x1F_FFFFul) | Present | Writable | LargePage | NoCache);
            }
            memory.WriteUInt64(Gdt + 8, 0x00AF_9B00_0000_FFFF); // 0x08: 64-bit code
            memory.WriteUInt64(Gdt + 16, 0x00CF_9300_0000_FFFF); // 0x10: data
            // Interrupt gate for Vector: present, DPL 0, type 0xE, selector 0x08.
            memory.WriteUInt64(Idt + Vector * 16ul, (Handler & 0xFFFF) | (0x08ul << 16) | (0x8Eul << 40) | ((Handler >> 16 & 0xFFFF) << 48));
            memory.WriteUInt64(Idt + Vector * 16ul + 8, Handler >> 32);
            Assemble(memory, Handler, a =>
            {
                a.mov(al, Vector);
                a.@out(HandledPort, al);
                a.mov(rbx, EndOfInterrupt);
                a.mov(__dword_ptr[rbx], 0);
                a.iretq();
            });
            Assemble(memory, Code, a =>
            {
                var idle = a.CreateLabel();
                a.mov(rbx, SpuriousVector);
                a.mov(__dword_ptr[rbx], 0x1FF); // APIC software enable, spurious vector 0xFF
                if (ioApicPin is { } pin)
                {
                    // Redirection entry of the pin (registers 0x10 + 2 * pin, high dword first):
                    // destination APIC ID 0; then fixed delivery of Vector, physical, active high,
                    // edge-triggered (an irqfd pulses the line), unmasked.
                    a.mov(rbx, IoApic);
                    a.mov(__dword_ptr[rbx], (int)(0x11 + 2 * pin));
                    a.mov(rbx, IoApicWindow);
                    a.mov(__dword_ptr[rbx], 0);
                    a.mov(rbx, IoApic);
                    a.mov(__dword_ptr[rbx], (int)(0x10 + 2 * pin));
                    a.mov(rbx, IoApicWindow);
                    a.mov(__dword_ptr[rbx], Vector);
                }
                a.@out(ReadyPort, al);
                a.sti();
                a.Label(ref idle);
                a.hlt();
                a.jmp(idle);
            });
        }

        private static void EnterLongMode(Vcpu vcpu)
        {
            var sregs = vcpu.GetSpecialRegisters();
            sregs.Cs = new KvmSegment { Limit = 0xFFFF_FFFF, Selector = 0x08, Present = 1, Type = 0xB, S = 1, L = 1, G = 1 };
            sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss =
                new KvmSegment { Limit = 0xFFFF_FFFF, Selector = 0x10, Present = 1, Type = 0x3, S = 1, Db = 1, G = 1 };
            sregs.Gdt = new KvmDtable { Base = Gdt, Limit = 3 * 8 - 1 };
            sregs.Idt = new KvmDtable { Base = Idt, Limit = 256 * 16 - 1 };
            sregs.Cr0 = 0x8005_0033; // PG, WP, NE, ET, MP, PE
            sregs.Cr3 = Pml4;
            sregs.Cr4 = 0x20 | 0x200 | 0x400; // PAE, OSFXSR, OSXMMEXCPT
            sregs.Efer = 0x500; // LME | LMA
            vcpu.SetSpecialRegisters(sregs);
            vcpu.SetRegisters(new KvmRegs { Rip = Code, Rsp = StackTop, Rflags = 0x2 });
        }

        private static void Assemble(IGuestMemory memory, ulong address, Action<Assembler> emit)
        {
            var assembler = new Assembler(64);
            emit(assembler);
            var code = new MemoryStream();
            assembler.Assemble(new StreamCodeWriter(code), address);
            memory.Write(address, code.ToArray());
        }
    }
}
