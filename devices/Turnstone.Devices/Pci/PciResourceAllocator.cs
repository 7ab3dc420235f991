using Turnstone.PciRoot;

namespace Turnstone.Devices.Pci;

/// <summary>
/// The monitor's initial BAR placement, as firmware would do it: a bump allocator per window
/// (32-bit MMIO, 64-bit MMIO, I/O) handing out naturally aligned ranges, largest BARs first so
/// alignment wastes little. 64-bit BARs go above 4 GiB when there is a 64-bit window and fall back
/// to the 32-bit one. Memory BARs get at least a page each, so no two functions share a page and
/// the machine can map or trap each BAR on its own. The same windows are what the machine
/// declares in the host bridge's _CRS, and a guest-placed BAR outside them is not routed.
/// </summary>
public sealed class PciResourceAllocator
{
    public const ulong MinimumMemoryAlignment = 4096;

    private ulong _nextMmio32, _nextMmio64, _nextIo;

    public PciResourceAllocator(AddressWindow mmio32, AddressWindow mmio64, AddressWindow io)
    {
        if (!mmio32.IsEmpty && (mmio32.End < mmio32.Base || mmio32.End > 1ul << 32))
        {
            throw new ArgumentException($"32-bit MMIO window {mmio32} must lie below 4 GiB", nameof(mmio32));
        }
        if (!mmio64.IsEmpty && mmio64.End < mmio64.Base)
        {
            throw new ArgumentException($"64-bit MMIO window {mmio64} wraps", nameof(mmio64));
        }
        if (!io.IsEmpty && io.End > 0x1_0000)
        {
            throw new ArgumentException($"I/O window {io} must lie below 64 KiB", nameof(io));
        }
        Mmio32 = mmio32;
        Mmio64 = mmio64;
        Io = io;
        _nextMmio32 = mmio32.Base;
        _nextMmio64 = mmio64.Base;
        _nextIo = io.Base;
    }

    public AddressWindow Mmio32 { get; }
    public AddressWindow Mmio64 { get; }
    public AddressWindow Io { get; }

    /// <summary>A naturally aligned range of <paramref name="size"/> for a BAR of this kind, if one is left.</summary>
    public bool TryAllocate(PciBarKind kind, ulong size, out ulong address)
    {
        address = 0;
        if (size == 0 || (size & (size - 1)) != 0)
        {
            return false;
        }
        return kind switch
        {
            PciBarKind.Io => TryBump(Io, ref _nextIo, size, size, out address),
            PciBarKind.Memory64 when !Mmio64.IsEmpty =>
                TryBump(Mmio64, ref _nextMmio64, size, Math.Max(size, MinimumMemoryAlignment), out address),
            _ => TryBump(Mmio32, ref _nextMmio32, size, Math.Max(size, MinimumMemoryAlignment), out address),
        };
    }

    /// <summary>Places every defined BAR of these functions; throws when a window is exhausted (a machine configuration error).</summary>
    public void AssignBars(IEnumerable<PciConfigSpace> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var bars = functions.SelectMany(config => config.BarMappings.Select(bar => (Config: config, Bar: bar)))
            .OrderByDescending(entry => entry.Bar.Size)
            .ToList();
        foreach (var (config, bar) in bars)
        {
            if (!TryAllocate(bar.Kind, bar.Size, out ulong address))
            {
                throw new InvalidOperationException($"no room for {bar.Kind} BAR{bar.Index} of 0x{bar.Size:x} bytes of {config.Identity.VendorId:x4}:{config.Identity.DeviceId:x4}");
            }
            config.SetBarAddress(bar.Index, address);
        }
    }

    public void AssignBars(params PciConfigSpace[] functions) => AssignBars((IEnumerable<PciConfigSpace>)functions);

    /// <summary>Whether the host bridge forwards this mapping's range to PCI (it lies inside a window of its kind).</summary>
    public bool Routes(PciBarMapping mapping) => mapping.Kind switch
    {
        PciBarKind.Io => Io.Contains(mapping.Address, mapping.Size),
        _ => Mmio32.Contains(mapping.Address, mapping.Size)
            || (mapping.Kind == PciBarKind.Memory64 && Mmio64.Contains(mapping.Address, mapping.Size)),
    };

    private static bool TryBump(AddressWindow window, ref ulong next, ulong size, ulong alignment, out ulong address)
    {
        address = 0;
        if (window.IsEmpty)
        {
            return false;
        }
        ulong aligned = (next + alignment - 1) & ~(alignment - 1);
        if (aligned < next || !window.Contains(aligned, size))
        {
            return false;
        }
        address = aligned;
        next = aligned + size;
        return true;
    }
}
