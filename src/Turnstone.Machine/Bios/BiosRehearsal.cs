using Turnstone.Devices.Legacy;
using Turnstone.Firmware.Bios;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;
using Turnstone.HostIo;

namespace Turnstone.Machine.Bios;

/// <summary>
/// Runs the firmware calls a boot makes (GRUB's, SYSLINUX's, Linux's setup code's) against a
/// throwaway BIOS on a throwaway machine: array RAM, an array disk, a terminal writing to /dev/null,
/// registers in fields. The turnstone process runs with tiered compilation off, so each method's
/// first call pays for an optimising JIT, and measured on a GRUB boot the guest's first INT 10h,
/// 13h, 15h and 19h calls took 1-4 ms each even with the services' methods compiled ahead by
/// reflection (<see cref="BiosCodeWarmup"/>, which leaves out interface implementations, the
/// generic code the services instantiate and the monitor's code under them). Calling the code
/// compiles all of that: the call port, dispatcher and services, the console stream under the
/// terminal (a write(2) to /dev/null), a disk backend's read (of /dev/zero), and the set-up
/// (<see cref="BiosFirmware.Create"/>, <see cref="BiosFirmware.Install"/>). Nothing it touches is
/// shared with the machine being prepared.
/// </summary>
internal static class BiosRehearsal
{
    private const ulong RamBytes = BiosCall.RealModeAddressLimit + 0x10;

    /// <summary>Rehearses the calls, then the installation with the ROM once <paramref name="rom"/> is assembled; returns that ROM.</summary>
    public static BiosRomImage Run(Task<BiosRomImage> rom)
    {
        var memory = new ArrayGuestMemory(RamBytes);
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        using var output = new DescriptorOutputStream((int)devNull.DangerousGetHandle());
        var terminal = new BiosTerminal(ConsoleStreams.RunWriter(Stream.Synchronized(output)));
        var drives = new List<IBiosDisk> { new BlockBackendBiosDisk(new RehearsalBlockBackend(), new BiosDiskPciLocation(0, 2, 0)) };
        var firmware = BiosFirmware.Create(drives, terminal, memory, E820Map.FromRam(GuestRamLayout.For(64 << 20)), _ => { }, new CmosRtc(64 << 20, 0), log: null);
        var registers = new RehearsalRegisters();
        firmware.Port.Connect(new RehearsalExitSource(registers));
        var script = new BiosRehearsalScript(firmware.Port, registers, memory);

        ReadZeroDevice();
        script.Bootstrap();
        script.Video();
        script.Disk();
        script.System();
        script.Keyboard(terminal);
        script.Clock();
        script.Others();

        if (firmware.Port.Calls != script.Traps)
        {
            throw new InvalidOperationException($"the BIOS rehearsal trapped {script.Traps} times but the port handled {firmware.Port.Calls} calls");
        }

        var assembled = rom.GetAwaiter().GetResult();
        firmware.Install(memory, assembled);
        return assembled;
    }

    /// <summary>INT 13h reads on the machine go through a file backend: a read of /dev/zero through the
    /// same interfaces (a direct call could be inlined, leaving the backend's method uncompiled) compiles that path.</summary>
    private static void ReadZeroDevice()
    {
        using var zero = RawFileBlockBackend.Open("/dev/zero", isReadOnly: true);
        IBiosDisk disk = new BlockBackendBiosDisk(zero);
        Span<byte> sector = stackalloc byte[IBiosDisk.SectorSize];
        disk.Read(0, sector);
    }
}
