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
    private readonly BiosRomImage _rom;
    private readonly TimeOfDayService _timeOfDay;

    private BiosFirmware(BiosDispatcher dispatcher, BiosTerminal terminal, int diskCount, TimeOfDayService timeOfDay, BiosRomImage rom)
    {
        _timeOfDay = timeOfDay;
        Dispatcher = dispatcher;
        Terminal = terminal;
        DiskCount = diskCount;
        // A ROM assembled ahead for the standard vectors serves unless a service answers another one.
        _rom = dispatcher.TrapVectors.All(rom.TrapVectors.Contains) ? rom : BiosRomImage.Build(dispatcher.TrapVectors);
        Port = new BiosFirmwareCallPort(dispatcher, terminal);
    }

    /// <summary>
    /// Assembles the ROM for the standard BIOS vectors on a pool thread. Most of its cost is the JIT
    /// compiling Iced's assembler (tens of milliseconds with tiered compilation off); started while
    /// the machine is prepared, it overlaps the VM's creation instead of adding to it. The services
    /// are compiled meanwhile on another pool thread (<see cref="BiosCodeWarmup"/>).
    /// </summary>
    public static Task<BiosRomImage> AssembleRomAhead()
    {
        _ = Task.Run(BiosCodeWarmup.CompileServices);
        return Task.Run(() => BiosRomImage.Build(BiosDispatcher.StandardVectors));
    }

    public BiosDispatcher Dispatcher { get; }

    public BiosTerminal Terminal { get; }

    public BiosFirmwareCallPort Port { get; }

    public int DiskCount { get; }

    /// <param name="disks">Drives 80h, 81h, ... over the virtio disks' backends, in order.</param>
    /// <param name="memoryMap">The machine's E820 map (ACPI tables and ECAM marked), which INT 15h E820 reports.</param>
    /// <param name="bootFailed">Stops the machine with a reason (INT 18h, or INT 19h finding nothing to boot).</param>
    /// <param name="rom">The ROM from <see cref="AssembleRomAhead"/>.</param>
    public static BiosFirmware Create(IReadOnlyList<IBiosDisk> disks, BiosTerminal terminal, IGuestMemory memory, E820Map memoryMap, Action<string> bootFailed,
        TextWriter? log, BiosRomImage rom)
    {
        var unsupported = new UnsupportedServiceLog(log);
        var timeOfDay = new TimeOfDayService(TimeProvider.System);
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
        return new BiosFirmware(new BiosDispatcher(services, memory, unsupported), terminal, disks.Count, timeOfDay, rom);
    }

    /// <summary>
    /// Writes the ROM at 0xF0000 and the IVT at 0, then what lives inside them or beside them: the
    /// BDA and EBDA (one COM port, the hard disk count), INT 15h C0h's table at F000:E6F5 (after the
    /// ROM, which covers the whole F segment) and the tick count seeded from the clock.
    /// </summary>
    public void Install(IGuestMemory memory)
    {
        _rom.WriteTo(memory);
        BiosDataArea.Write(memory, serialPortCount: 1, (byte)DiskCount);
        SystemConfigurationTable.Write(memory);
        _timeOfDay.InitializeTicks(memory);
    }
}
