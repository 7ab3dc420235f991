using Turnstone.GuestMemory;

namespace Turnstone.Firmware.LinuxBoot;

/// <summary>
/// struct boot_params ("the zero page"): the setup header copied from the bzImage (or a minimal one
/// for a vmlinux), with the loader's fields filled in, and the E820 map. Offsets are the protocol's.
/// </summary>
public static class ZeroPage
{
    public const int Size = 4096;
    public const int AcpiRsdpAddr = 0x070;
    public const int ExtRamdiskImage = 0x0C0, ExtRamdiskSize = 0x0C4, ExtCmdLinePtr = 0x0C8;
    public const int E820Entries = 0x1E8, E820Table = 0x2D0;
    public const int VidMode = 0x1FA, BootFlag = 0x1FE, Header = 0x202, Version = 0x206;
    public const int TypeOfLoader = 0x210, LoadFlags = 0x211, Code32Start = 0x214;
    public const int RamdiskImage = 0x218, RamdiskSize = 0x21C, HeapEndPtr = 0x224, CmdLinePtr = 0x228;

    public static void Write(IGuestMemory memory, ulong address, LinuxBootPlan plan)
    {
        var page = memory.GetSpan(address, Size);
        page.Clear();
        if (plan.Kernel.Header is { } header)
        {
            plan.Kernel.File.AsSpan(SetupHeader.Offset, header.Length).CopyTo(page[SetupHeader.Offset..]);
        }
        else
        {
            // A vmlinux has no setup header; give the kernel the fields it reads.
            Put16(page, BootFlag, SetupHeader.BootFlag);
            Put32(page, Header, SetupHeader.HeaderMagic);
            Put16(page, Version, 0x020F);
        }
        Put16(page, VidMode, 0xFFFF); // "normal": no video mode change
        page[TypeOfLoader] = 0xFF;    // undefined loader id
        page[LoadFlags] |= SetupHeader.LoadedHigh | SetupHeader.CanUseHeap;
        Put32(page, Code32Start, (uint)BootLayout.ProtectedModeKernel);
        Put16(page, HeapEndPtr, 0xFE00);
        Put32(page, CmdLinePtr, (uint)BootLayout.CommandLine);
        Put32(page, ExtCmdLinePtr, (uint)(BootLayout.CommandLine >> 32));
        if (plan.Initrd is { Length: > 0 })
        {
            Put32(page, RamdiskImage, (uint)plan.InitrdAddress);
            Put32(page, ExtRamdiskImage, (uint)(plan.InitrdAddress >> 32));
            Put32(page, RamdiskSize, (uint)plan.Initrd.Length);
        }
        if (plan.AcpiRsdpAddress != 0)
        {
            BitConverter.TryWriteBytes(page[AcpiRsdpAddr..], plan.AcpiRsdpAddress);
        }
        var entries = plan.E820.Entries;
        page[E820Entries] = (byte)entries.Count;
        for (int i = 0; i < entries.Count; i++)
        {
            var slot = page.Slice(E820Table + i * 20, 20);
            BitConverter.TryWriteBytes(slot, entries[i].Address);
            BitConverter.TryWriteBytes(slot[8..], entries[i].Size);
            BitConverter.TryWriteBytes(slot[16..], (uint)entries[i].Type);
        }
    }

    private static void Put16(Span<byte> page, int offset, ushort value) => BitConverter.TryWriteBytes(page[offset..], value);
    private static void Put32(Span<byte> page, int offset, uint value) => BitConverter.TryWriteBytes(page[offset..], value);
}
