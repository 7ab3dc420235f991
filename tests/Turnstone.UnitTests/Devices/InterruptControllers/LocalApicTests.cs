using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Devices.InterruptControllers;
using Turnstone.Devices.Timers;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Devices.InterruptControllers;

/// <summary>Local APIC contracts from the Intel SDM, vol. 3, chapter 11, against a fake clock.</summary>
public sealed class LocalApicTests
{
    /// <summary>The core crystal CPUID leaf 0x15 advertises; the APIC timer counts at it.</summary>
    private const long CrystalHz = 25_000_000;

    private const int Id = 0x20, Version = 0x30, Tpr = 0x80, Ppr = 0xA0, Eoi = 0xB0, Ldr = 0xD0, Dfr = 0xE0, Svr = 0xF0,
        Isr = 0x100, Tmr = 0x180, Irr = 0x200, Esr = 0x280, IcrLow = 0x300, IcrHigh = 0x310,
        LvtTimer = 0x320, LvtLint0 = 0x350, LvtLint1 = 0x360, LvtError = 0x370, InitialCount = 0x380, CurrentCount = 0x390, Divide = 0x3E0;

    private readonly ManualGuestClock _clock = new();
    private readonly LocalApic _apic;
    private readonly DeviceBus _mmio = new();
    private int _wakes;

    public LocalApicTests()
    {
        _apic = new LocalApic(_clock, apicId: 0, bootstrapProcessor: true, CrystalHz, SoftwareCpu.TscFrequency);
        _apic.InterruptPending = () => Interlocked.Increment(ref _wakes);
        _mmio.Register(LocalApic.DefaultBaseAddress, LocalApic.PageSize, _apic);
    }

    private uint Read(int register)
    {
        Span<byte> data = stackalloc byte[4];
        _mmio.Read(LocalApic.DefaultBaseAddress + (ulong)register, data);
        return BitConverter.ToUInt32(data);
    }

    private void Write(int register, uint value) => _mmio.Write(LocalApic.DefaultBaseAddress + (ulong)register, BitConverter.GetBytes(value));

    private void Enable(byte spuriousVector = 0xFF) => Write(Svr, 0x100u | spuriousVector);

    private byte Take()
    {
        Assert.True(_apic.TryAcknowledgeInterrupt(out byte vector));
        return vector;
    }

    [Fact]
    public void ID_and_version_report_an_integrated_APIC_with_six_LVT_entries()
    {
        Assert.Equal(0u, Read(Id));
        Assert.Equal(0x0005_0014u, Read(Version));
        Assert.Equal(0xFEE0_0900ul, _apic.ApicBaseMsr); // base, BSP, globally enabled
        Assert.Equal(0xFFu, Read(Svr)); // software-disabled after reset
        Assert.Equal(0xFFFF_FFFFu, Read(Dfr));
        Assert.Equal(0x0001_0000u, Read(LvtTimer)); // masked
        Assert.Equal(0x0000_0700u, Read(LvtLint0)); // ExtINT, unmasked: virtual wire on the BSP
        Assert.Equal(0x0001_0000u, Read(LvtLint1));
    }

    [Fact]
    public void Fixed_interrupts_are_dropped_while_the_APIC_is_software_disabled()
    {
        _apic.RaiseVector(0x40);
        Assert.False(_apic.HasDeliverableInterrupt);
        Assert.Equal(1, _apic.DroppedInterrupts);

        Enable();
        _apic.RaiseVector(0x40);
        Assert.Equal(0x40, _apic.HighestDeliverableVector);
        Assert.Equal(1u, Read(Irr + 0x20) & 1); // vector 0x40 is bit 0 of IRR word 2
    }

    [Fact]
    public void Highest_vector_is_delivered_first_and_in_service_blocks_its_class_and_below()
    {
        Enable();
        _apic.RaiseVector(0x31);
        _apic.RaiseVector(0x80);
        _apic.RaiseVector(0x45);
        _apic.RaiseVector(0x8F);

        Assert.Equal(0x8F, Take());
        Assert.Equal(0x80u, Read(Ppr)); // PPR takes the in-service class
        Assert.Equal(-1, _apic.HighestDeliverableVector); // 0x80 is in class 8 too: blocked
        Assert.Equal(1u << 15, Read(Isr + 0x40)); // 0x8F in service

        Write(Eoi, 0);
        Assert.Equal(0x80, Take());
        Write(Eoi, 0);
        Assert.Equal(0x45, Take());
        _apic.RaiseVector(0x60);
        Assert.Equal(0x60, Take()); // a higher class nests
        Write(Eoi, 0); // ends 0x60, the highest in service
        Assert.Equal(1u << 5, Read(Isr + 0x20)); // 0x45 still in service
        Write(Eoi, 0);
        Assert.Equal(0x31, Take());
    }

    [Fact]
    public void The_TPR_written_as_the_core_writes_CR8_is_the_register_at_0x80_and_releases_held_vectors()
    {
        Enable();
        _apic.TaskPriority = 0x50; // MOV CR8, 5
        Assert.Equal(0x50u, Read(Tpr));
        _apic.RaiseVector(0x52);
        Assert.False(_apic.HasDeliverableInterrupt);

        int wakesBefore = _wakes;
        _apic.TaskPriority = 0x40; // MOV CR8, 4
        Assert.True(_wakes > wakesBefore);
        Assert.Equal(0x52, Take());
        Write(Tpr, 0x70);
        Assert.Equal(0x70, _apic.TaskPriority); // MOV reg, CR8 then reads 7
    }

    [Fact]
    public void TPR_holds_back_vectors_whose_class_is_not_above_it()
    {
        Enable();
        Write(Tpr, 0x45);
        _apic.RaiseVector(0x4F);
        Assert.Equal(0x45u, Read(Ppr));
        Assert.False(_apic.HasDeliverableInterrupt);
        _apic.RaiseVector(0x51);
        Assert.Equal(0x51, Take());

        int wakesBefore = _wakes;
        Write(Eoi, 0);
        Write(Tpr, 0x30);
        Assert.True(_wakes > wakesBefore); // lowering the TPR releases 0x4F and wakes the vCPU
        Assert.Equal(0x4F, Take());
    }

    [Fact]
    public void EOI_of_a_level_triggered_vector_is_broadcast_and_of_an_edge_one_is_not()
    {
        Enable();
        var broadcasts = new List<byte>();
        _apic.LevelTriggeredEoi = broadcasts.Add;
        _apic.RaiseVector(0x50, levelTriggered: true);
        _apic.RaiseVector(0x60);
        Assert.Equal(1u << 16, Read(Tmr + 0x20)); // 0x50 is bit 16 of TMR word 2

        Assert.Equal(0x60, Take());
        Write(Eoi, 0);
        Assert.Empty(broadcasts);
        Assert.Equal(0x50, Take());
        Write(Eoi, 0);
        Assert.Equal(new byte[] { 0x50 }, broadcasts);
    }

    [Fact]
    public void MSI_from_another_thread_wakes_a_waiting_vCPU()
    {
        Enable();
        using var woken = new ManualResetEventSlim();
        _apic.InterruptPending = woken.Set;
        var worker = new Thread(() => _apic.Signal(0xFEE0_0000, 0x41)); // physical destination 0, fixed, edge
        worker.Start();
        Assert.True(woken.Wait(TimeSpan.FromSeconds(10)));
        worker.Join();
        Assert.Equal(0x41, Take());
    }

    [Fact]
    public void One_shot_timer_fires_once_after_initial_count_times_divide()
    {
        Enable();
        Write(Divide, 0x3); // divide by 16
        Write(LvtTimer, 0xEC); // one-shot, vector 0xEC, unmasked
        Write(InitialCount, 1000); // 1000 * 16 / 25 MHz = 640 µs
        Assert.Equal(640_000, _apic.NextDeadlineNanoseconds);

        _clock.Advance(320_000);
        Assert.Equal(500u, Read(CurrentCount));
        _apic.Service();
        Assert.False(_apic.HasDeliverableInterrupt);

        _clock.Advance(320_000);
        _apic.Service();
        Assert.Equal(0xEC, Take());
        Assert.Equal(0u, Read(CurrentCount));
        Assert.Null(_apic.NextDeadlineNanoseconds);
        Write(Eoi, 0);

        _clock.Advance(10_000_000);
        _apic.Service();
        Assert.False(_apic.HasDeliverableInterrupt);
    }

    [Fact]
    public void Periodic_timer_rearms_and_coalesces_missed_periods()
    {
        Enable();
        Write(Divide, 0xB); // divide by 1
        Write(LvtTimer, 0x2_00EC); // periodic
        Write(InitialCount, 25_000); // 1 ms
        Assert.Equal(1_000_000, _apic.NextDeadlineNanoseconds);

        _clock.NowNanoseconds = 1_000_000;
        _apic.Service();
        Assert.Equal(0xEC, Take());
        Write(Eoi, 0);
        Assert.Equal(2_000_000, _apic.NextDeadlineNanoseconds);
        Assert.Equal(25_000u, Read(CurrentCount));

        _clock.NowNanoseconds = 2_250_000;
        Assert.Equal(18_750u, Read(CurrentCount));
        _apic.Service();
        Assert.Equal(0xEC, Take());
        Write(Eoi, 0);

        _clock.NowNanoseconds = 9_500_000; // periods 3-9 missed
        _apic.Service();
        Assert.Equal(0xEC, Take());
        Write(Eoi, 0);
        Assert.False(_apic.HasDeliverableInterrupt);
        Assert.Equal(10_000_000, _apic.NextDeadlineNanoseconds);

        Write(InitialCount, 0); // stops the timer
        Assert.Null(_apic.NextDeadlineNanoseconds);
    }

    [Fact]
    public void Periodic_timer_never_fires_more_often_than_the_minimum_period()
    {
        Enable();
        Write(Divide, 0xB);
        Write(LvtTimer, 0x2_00EC);
        Write(InitialCount, 1);
        Assert.Equal(LocalApic.MinimumPeriodNanoseconds, _apic.NextDeadlineNanoseconds);
    }

    [Fact]
    public void TSC_deadline_timer_fires_when_the_TSC_reaches_the_deadline_and_then_reads_zero()
    {
        Enable();
        Write(LvtTimer, 0x4_00EC); // TSC-deadline mode
        _clock.NowNanoseconds = 5_000_000;
        ulong tsc = _apic.ReadTimeStampCounter();
        Assert.Equal((ulong)(5_000_000 * SoftwareCpu.TscFrequency / 1_000_000_000), tsc);

        _apic.TscDeadline = tsc + (ulong)(SoftwareCpu.TscFrequency / 1000); // 1 ms ahead
        Assert.Equal(6_000_000, _apic.NextDeadlineNanoseconds);
        Write(InitialCount, 5); // ignored in TSC-deadline mode
        Assert.Equal(0u, Read(InitialCount));

        _clock.NowNanoseconds = 5_999_999;
        _apic.Service();
        Assert.False(_apic.HasDeliverableInterrupt);

        _clock.NowNanoseconds = 6_000_000;
        _apic.Service();
        Assert.Equal(0xEC, Take());
        Assert.Equal(0ul, _apic.TscDeadline);
        Assert.Null(_apic.NextDeadlineNanoseconds);
    }

    [Fact]
    public void Leaving_TSC_deadline_mode_disarms_and_the_MSR_ignores_writes_outside_it()
    {
        Enable();
        _apic.TscDeadline = 123;
        Assert.Equal(0ul, _apic.TscDeadline);
        Write(LvtTimer, 0x4_00EC);
        _apic.TscDeadline = 1_000_000;
        Write(LvtTimer, 0x00EC);
        Write(LvtTimer, 0x4_00EC);
        Assert.Equal(0ul, _apic.TscDeadline);
    }

    [Fact]
    public void A_masked_timer_raises_nothing_even_after_unmasking()
    {
        Enable();
        Write(Divide, 0xB);
        Write(LvtTimer, 0x1_00EC); // masked one-shot
        Write(InitialCount, 25);
        Assert.Null(_apic.NextDeadlineNanoseconds);
        _clock.Advance(10_000);
        Write(LvtTimer, 0x00EC);
        _apic.Service();
        Assert.False(_apic.HasDeliverableInterrupt);
    }

    [Fact]
    public void Changing_the_divider_keeps_a_running_count_going_at_the_new_rate()
    {
        Enable();
        Write(Divide, 0xB); // by 1
        Write(LvtTimer, 0x00EC);
        Write(InitialCount, 25_000); // 1 ms
        _clock.NowNanoseconds = 500_000;
        Write(Divide, 0x0); // by 2: the remaining half takes twice as long
        Assert.Equal(1_500_000, _apic.NextDeadlineNanoseconds);
        Assert.Equal(12_500u, Read(CurrentCount));
    }

    [Fact]
    public void Self_IPI_is_accepted_and_all_excluding_self_is_handed_on()
    {
        Enable();
        var sent = new List<InterprocessorInterrupt>();
        _apic.InterprocessorInterruptSent = sent.Add;

        Write(IcrLow, 0x4_0000 | 0x55); // self, fixed
        Assert.Equal(0x55, Take());
        Assert.Empty(sent);
        Assert.Equal(0u, Read(IcrLow) & 1u << 12); // delivery status idle

        Write(IcrLow, 0xC_0000 | 0x4500); // all excluding self, INIT
        Assert.False(_apic.TakePendingInit());
        var init = Assert.Single(sent);
        Assert.Equal(DestinationShorthand.AllExcludingSelf, init.Shorthand);
        Assert.Equal(ApicDeliveryMode.Init, init.Message.DeliveryMode);

        Write(IcrHigh, 0x0100_0000); // physical destination 1: another processor
        Write(IcrLow, 0x4000 | 0x0400); // NMI
        Assert.Equal(2, sent.Count);
        Assert.False(_apic.TakePendingNmi());

        Write(IcrHigh, 0);
        Write(IcrLow, 0x4000 | 0x0400); // NMI to ourselves by ID
        Assert.True(_apic.TakePendingNmi());
        Assert.False(_apic.TakePendingNmi());
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public void Sending_an_illegal_vector_sets_ESR_after_the_latching_write_and_raises_the_error_LVT()
    {
        Enable();
        Write(LvtError, 0xFE);
        Write(IcrLow, 0x4_0000 | 0x05); // self, fixed, vector 5
        Assert.Equal(0u, Read(Esr)); // not visible until ESR is written
        Write(Esr, 0);
        Assert.Equal(1u << 5, Read(Esr));
        Assert.Equal(0xFE, Take());
        Write(Esr, 0);
        Assert.Equal(0u, Read(Esr));
    }

    [Fact]
    public void Software_disable_masks_every_LVT_and_keeps_them_masked()
    {
        Enable();
        Write(LvtLint1, 0x400); // NMI, unmasked
        Assert.Equal(0x400u, Read(LvtLint1));
        Write(Svr, 0xFF);
        Assert.Equal(0x1_0400u, Read(LvtLint1));
        Write(LvtLint1, 0x400);
        Assert.Equal(0x1_0400u, Read(LvtLint1));
    }

    [Fact]
    public void LINT1_in_NMI_mode_makes_an_NMI_pending()
    {
        Enable();
        Write(LvtLint1, 0x400);
        _apic.Lint1.SetLevel(true);
        Assert.True(_apic.TakePendingNmi());
    }

    [Fact]
    public void Logical_flat_destination_matches_the_LDR_bit()
    {
        Enable();
        Write(Ldr, 0x0100_0000);
        Write(Dfr, 0xFFFF_FFFF);
        _apic.Deliver(new ApicMessage(0x70, ApicDeliveryMode.Fixed, 0x01, LogicalDestination: true, LevelTriggered: false));
        _apic.Deliver(new ApicMessage(0x71, ApicDeliveryMode.Fixed, 0x02, LogicalDestination: true, LevelTriggered: false));
        Assert.Equal(0x70, Take());
        Assert.False(_apic.HasDeliverableInterrupt);
    }

    [Fact]
    public void The_8259_reaches_the_core_through_LINT0_in_virtual_wire_mode_until_LINT0_is_masked()
    {
        var pic = new DualPic8259();
        _apic.ConnectExternalController(pic);
        pic.ConnectOutput(_apic.Lint0);
        var ports = new DeviceBus();
        ports.Register(DualPic8259.MasterBasePort, DualPic8259.PortSpan, pic.MasterPorts);
        foreach (var (port, value) in new (ushort, byte)[] { (0x20, 0x11), (0x21, 0x30), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE) })
        {
            ports.Write(port, [value]);
        }

        int wakesBefore = _wakes;
        pic.Irq(0).SetLevel(true);
        pic.Irq(0).SetLevel(false);
        Assert.True(_wakes > wakesBefore);
        Assert.True(_apic.HasDeliverableInterrupt); // even with the APIC software-disabled, as a BIOS leaves it
        Assert.Equal(0x30, Take());
        Assert.False(_apic.HasDeliverableInterrupt);
        ports.Write(0x20, [0x20]);

        Enable();
        Write(LvtLint0, 0x1_0700); // what Linux does once the I/O APIC takes over
        pic.Irq(0).SetLevel(true);
        Assert.False(_apic.HasDeliverableInterrupt);
    }

    [Fact]
    public void IA32_APIC_BASE_refuses_x2APIC_mode_and_a_disabled_APIC_accepts_nothing()
    {
        Enable();
        Assert.False(_apic.TryWriteApicBaseMsr(0xFEE0_0000 | 1ul << 11 | 1ul << 10));
        Assert.True(_apic.TryWriteApicBaseMsr(0xFEE0_0000));
        Assert.Equal(0xFEE0_0100ul, _apic.ApicBaseMsr); // the BSP bit stays
        _apic.RaiseVector(0x40);
        Assert.False(_apic.HasDeliverableInterrupt);
    }

    [Fact]
    public void Accesses_that_are_not_aligned_dwords_are_ignored()
    {
        _mmio.Write(LocalApic.DefaultBaseAddress + Tpr, [0x70]);
        _mmio.Write(LocalApic.DefaultBaseAddress + Tpr + 4, BitConverter.GetBytes(0x70u));
        Assert.Equal(0u, Read(Tpr));
        Assert.Equal(2, _apic.IgnoredAccesses);
    }

    [Fact]
    public void The_host_clock_moves_forward()
    {
        var clock = new HostMonotonicClock();
        long first = clock.NowNanoseconds;
        Thread.Sleep(20);
        Assert.InRange(clock.NowNanoseconds - first, 15_000_000, 5_000_000_000);
    }
}
