using Turnstone.Devices.Legacy;
using Turnstone.Firmware.Bios;
using Turnstone.Firmware.Bios.Keyboard;
using Turnstone.Firmware.Bios.Video;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;

namespace Turnstone.Machine.Bios;

/// <summary>
/// The legacy BIOS of a machine that boots a disk: its services (in C#), the dispatcher that
/// routes trapped interrupts to them, the firmware call port, and the ROM image and IVT it
/// writes into guest RAM before the vCPU leaves reset at F000:FFF0.
/// </summary>
internal sealed class BiosFirmware
{
    private readonly TimeOfDayService _timeOfDay;

    private BiosFirmware(BiosDispatcher dispatcher, BiosTerminal terminal, int diskCount, TimeOfDayService timeOfDay)
    {
        _timeOfDay = timeOfDay;
        Dispatcher = dispatcher;
        Terminal = terminal;
        DiskCount = diskCount;
        Port = new BiosFirmwareCallPort(dispatcher, terminal);
    }

    /// <summary>
    /// Gets the BIOS ready on pool threads while the machine is prepared, so that neither the set-up
    /// nor the guest's first calls pay for compiling it (tiered compilation is off: each method's
    /// first call is an optimising JIT). One thread assembles the ROM for the standard vectors (most
    /// of its cost is the JIT compiling Iced's assembler); another rehearses a boot's firmware calls
    /// on a throwaway machine (<see cref="BiosRehearsal"/>), then the ROM's installation. The machine
    /// waits for the returned task before it installs the BIOS, inside the firmware's set-up time.
    /// Started once per process, by the first caller (the CLI calls early, while it parses the command
    /// line); the ROM it returns is only ever read, so every machine of the process installs the same one.
    /// </summary>
    public static Task<BiosRomImage> PrepareAhead() => Prepared.Value;

    private static readonly Lazy<Task<BiosRomImage>> Prepared = new(() =>
    {
        var rom = Task.Run(() => BiosRomImage.Build(BiosDispatcher.StandardVectors));
        var rehearsed = Task.Run(() => BiosRehearsal.Run(rom));
        // The sweep over the rest of the BIOS's code (paths no rehearsal takes) runs behind the
        // rehearsal and nothing waits for it: the guest's call of a method it is compiling waits for
        // that method only, inside the call's own timing.
        _ = rehearsed.ContinueWith(_ => BiosCodeWarmup.CompileServices(), TaskScheduler.Default);
        return rehearsed;
    });

    public BiosDispatcher Dispatcher { get; }

    public BiosTerminal Terminal { get; }

    public BiosFirmwareCallPort Port { get; }

    public int DiskCount { get; }

    /// <param name="disks">Drives 80h, 81h, ... over the virtio disks' backends, in order.</param>
    /// <param name="memoryMap">The machine's E820 map (ACPI tables and ECAM marked), which INT 15h E820 reports.</param>
    /// <param name="bootFailed">Stops the machine with a reason (INT 18h, or INT 19h finding nothing to boot).</param>
    /// <param name="rtc">The machine's CMOS RTC, whose clock INT 1Ah reads and sets.</param>
    public static BiosFirmware Create(IReadOnlyList<IBiosDisk> disks, BiosTerminal terminal, IGuestMemory memory, E820Map memoryMap, Action<string> bootFailed,
        CmosRtc rtc, TextWriter? log)
    {
        var unsupported = new UnsupportedServiceLog(log);
        var timeOfDay = new TimeOfDayService(new CmosRtcRegisters(rtc));
        IBiosService[] services =
        [
            new Int13DiskService(disks),
            new BootstrapService(disks, terminal, bootFailed),
            new VideoService(terminal, unsupported),
            new EquipmentService(),
            new BaseMemoryService(),
            new SystemService(memoryMap, TimeProvider.System),
            new KeyboardService(terminal),
            timeOfDay,
        ];
        return new BiosFirmware(new BiosDispatcher(services, memory, unsupported), terminal, disks.Count, timeOfDay);
    }

    /// <summary>
    /// Writes the ROM at 0xF0000 and the IVT at 0, then what lives inside them or beside them: the
    /// BDA and EBDA (one COM port, the hard disk count), INT 15h C0h's table at F000:E6F5 (after the
    /// ROM, which covers the whole F segment), blank text pages at B8000h and the tick count seeded from the clock.
    /// </summary>
    /// <param name="rom">The ROM from <see cref="PrepareAhead"/>: assembled for the standard vectors,
    /// it serves unless a service answers another one.</param>
    public void Install(IGuestMemory memory, BiosRomImage rom)
    {
        (Dispatcher.TrapVectors.All(rom.TrapVectors.Contains) ? rom : BiosRomImage.Build(Dispatcher.TrapVectors)).WriteTo(memory);
        BiosDataArea.Write(memory, serialPortCount: 1, (byte)DiskCount);
        SystemConfigurationTable.Write(memory);
        TextVideoMemory.Clear(memory); // blank text pages, as the VGA BIOS's mode 3 at POST leaves them
        _timeOfDay.InitializeTicks(memory);
    }
}
