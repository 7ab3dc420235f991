using System.Buffers.Binary;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 19h (bootstrap) and INT 18h (boot failure). INT 19h reads sector 0 of drive 80h to
/// 0000:7C00 and, when it ends in the 55h AAh signature, enters it by rewriting its own INT frame
/// (IP = 7C00h, CS = 0, FLAGS = IF only) so the stub's IRET lands on the boot sector with DL = 80h,
/// as SeaBIOS enters it with interrupts on; the stack stays the caller's (POST's, at 0000:7C00).
/// A missing disk, a read error or no signature prints "no bootable disk" on the terminal and stops
/// the machine through <paramref name="bootFailed"/> with that reason; INT 18h does the same.
/// </summary>
public sealed class BootstrapService(IReadOnlyList<IBiosDisk> disks, IBiosConsole console, Action<string> bootFailed) : IBiosService
{
    public const string NoBootableDisk = "no bootable disk";
    private const ushort BootFlags = 0x0202; // IF, and the always-one bit 1

    public IReadOnlyList<byte> Vectors { get; } = [0x18, 0x19];

    public void Handle(BiosCall call)
    {
        if (call.Vector == 0x18)
        {
            Fail("INT 18h: boot failure");
            return;
        }
        if (ReadBootSector(call) is { } problem)
        {
            Fail(problem);
            return;
        }
        if (!call.TryGetRealModeSpan(call.Registers.Ss, call.Registers.Esp & 0xFFFF, 6, out var frame))
        {
            Fail("INT 19h: the caller's stack is outside RAM");
            return;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(frame, (ushort)BiosStubLayout.BootSectorAddress);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[2..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[4..], BootFlags);
        call.Registers.Edx = (call.Registers.Edx & 0xFFFF_FF00) | BiosStubLayout.FirstHardDisk;
    }

    /// <summary>Reads drive 80h's sector 0 to 0x7C00; the reason it cannot boot, or null.</summary>
    private string? ReadBootSector(BiosCall call)
    {
        if (disks.Count == 0)
        {
            return "there is no disk";
        }
        if (!call.TryGetPhysicalSpan(BiosStubLayout.BootSectorAddress, IBiosDisk.SectorSize, out var sector))
        {
            return "0x7C00 is not RAM";
        }
        try
        {
            disks[0].Read(0, sector);
        }
        catch (IOException e)
        {
            return $"reading sector 0 of drive 80h failed: {e.Message}";
        }
        return sector[510] == 0x55 && sector[511] == 0xAA ? null : "drive 80h has no boot signature (55h AAh) in sector 0";
    }

    private void Fail(string detail)
    {
        console.Write(System.Text.Encoding.ASCII.GetBytes($"\r\nBoot failed: {NoBootableDisk}\r\n"));
        bootFailed($"{NoBootableDisk} ({detail})");
    }
}
