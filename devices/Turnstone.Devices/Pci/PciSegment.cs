namespace Turnstone.Devices.Pci;

/// <summary>
/// PCI segment 0 as the host's configuration mechanisms see it: functions on bus 0, addressed
/// by (device, function). Everything else (other buses, empty slots) reads as all-ones, which is
/// how a guest learns nothing is there, and swallows writes.
/// </summary>
public sealed class PciSegment
{
    public const byte RootBus = 0;

    private readonly Lock _gate = new();
    private readonly PciDevice?[] _functions = new PciDevice?[PciAddress.DevicesPerBus * PciAddress.FunctionsPerDevice];

    /// <summary>The populated functions in address order (for ACPI _PRT, BAR placement, wiring).</summary>
    public IReadOnlyList<(PciAddress Address, PciDevice Device)> Functions
    {
        get
        {
            lock (_gate)
            {
                var list = new List<(PciAddress, PciDevice)>();
                for (int slot = 0; slot < _functions.Length; slot++)
                {
                    if (_functions[slot] is { } device)
                    {
                        list.Add((new PciAddress(RootBus, (byte)(slot / PciAddress.FunctionsPerDevice), (byte)(slot % PciAddress.FunctionsPerDevice)), device));
                    }
                }
                return list;
            }
        }
    }

    /// <summary>
    /// Places a function. Function 0 of a device comes first: guests only scan functions 1-7 of
    /// a device whose function 0 exists and reports itself multi-function.
    /// </summary>
    public void Attach(PciAddress address, PciDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (address.Bus != RootBus || !address.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"{address}: only bus 0, devices 0-31, functions 0-7");
        }
        lock (_gate)
        {
            if (_functions.Contains(device))
            {
                throw new InvalidOperationException($"{address}: this function is already attached elsewhere");
            }
            int slot = Slot(address);
            if (_functions[slot] is not null)
            {
                throw new InvalidOperationException($"{address} is already occupied");
            }
            if (address.Function != 0)
            {
                var functionZero = _functions[Slot(address with { Function = 0 })]
                    ?? throw new InvalidOperationException($"{address}: attach function 0 of the device first");
                functionZero.Config.MarkMultiFunction();
            }
            _functions[slot] = device;
        }
    }

    public bool TryGetFunction(PciAddress address, out PciDevice device)
    {
        device = null!;
        if (address.Bus != RootBus || !address.IsValid)
        {
            return false;
        }
        lock (_gate)
        {
            device = _functions[Slot(address)]!;
        }
        return device is not null;
    }

    /// <summary>A configuration read; absent functions answer all-ones.</summary>
    public void ReadConfig(PciAddress address, int register, Span<byte> data)
    {
        if (TryGetFunction(address, out var device))
        {
            device.Config.Read(register, data);
        }
        else
        {
            data.Fill(0xFF);
        }
    }

    /// <summary>A configuration write; writes to absent functions vanish.</summary>
    public void WriteConfig(PciAddress address, int register, ReadOnlySpan<byte> data)
    {
        if (TryGetFunction(address, out var device))
        {
            device.Config.Write(register, data);
        }
    }

    private static int Slot(PciAddress address) => address.Device * PciAddress.FunctionsPerDevice + address.Function;
}
