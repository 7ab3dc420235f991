using Turnstone.Firmware.Bios;
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

    private BiosFirmware(BiosDispatcher dispatcher, BiosTerminal terminal, int diskCount)
    {
        Dispatcher = dispatcher;
        Terminal = terminal;
        DiskCount = diskCount;
        _rom = BiosRomImage.Build(dispatcher.TrapVectors);
        Port = new BiosFirmwareCallPort(dispatcher, terminal);
    }

    public BiosDispatcher Dispatcher { get; }

    public BiosTerminal Terminal { get; }

    public BiosFirmwareCallPort Port { get; }

    public int DiskCount { get; }

    /// <param name="disks">Drives 80h, 81h, ... over the virtio disks' backends, in order.</param>
    /// <param name="memoryMap">The machine's E820 map (ACPI tables and ECAM marked), which INT 15h E820 reports.</param>
    /// <param name="bootFailed">Stops the machine with a reason (INT 18h, or INT 19h finding nothing to boot).</param>
    public static BiosFirmware Create(IReadOnlyList<IBiosDisk> disks, BiosTerminal terminal, IGuestMemory memory, E820Map memoryMap, Action<string> bootFailed,
        TextWriter? log)
    {
        var unsupported = new UnsupportedServiceLog(log);
        // The video, equipment, memory, system, keyboard and clock services (INT 10h, 11h, 12h,
        // 15h, 16h, 1Ah) and the BDA/EBDA contents join this list from the bios-services work.
        IBiosService[] services =
        [
            new Int13DiskService(disks),
            new BootstrapService(disks, terminal, bootFailed),
        ];
        return new BiosFirmware(new BiosDispatcher(services, memory, unsupported), terminal, disks.Count);
    }

    /// <summary>Writes the ROM at 0xF0000, the IVT at 0 and the BDA fields this BIOS keeps itself.</summary>
    public void Install(IGuestMemory memory)
    {
        _rom.WriteTo(memory);
        memory.WriteByte(BiosStubLayout.HardDiskCountAddress, (byte)DiskCount);
    }
}
