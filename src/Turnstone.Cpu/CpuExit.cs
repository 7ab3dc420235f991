namespace Turnstone.Cpu;

/// <summary>
/// One exit from <see cref="SoftwareCpu.Run"/>. <see cref="Address"/> is the port for port
/// accesses and the guest-physical address for MMIO; <see cref="Size"/> is in bytes;
/// <see cref="Value"/> is the written value for writes. <see cref="Description"/> explains
/// <see cref="CpuExitReason.NotImplemented"/> and <see cref="CpuExitReason.Shutdown"/> exits.
/// </summary>
public readonly record struct CpuExit(CpuExitReason Reason, ulong Address = 0, int Size = 0, ulong Value = 0, string? Description = null)
{
    public ushort Port => (ushort)Address;

    public override string ToString() => Reason switch
    {
        CpuExitReason.PortRead => $"in port 0x{Address:x} size {Size}",
        CpuExitReason.PortWrite => $"out port 0x{Address:x} size {Size} value 0x{Value:x}",
        CpuExitReason.MmioRead => $"mmio read 0x{Address:x} size {Size}",
        CpuExitReason.MmioWrite => $"mmio write 0x{Address:x} size {Size} value 0x{Value:x}",
        _ => Description is null ? Reason.ToString() : $"{Reason}: {Description}",
    };
}
