namespace Turnstone.Devices.Pci;

/// <summary>
/// Where a function sits in the configuration address space of one segment ("bb:dd.f").
/// The monitor only populates bus 0, but guests may address any bus, so every field is
/// representable and absent ones simply read as all-ones.
/// </summary>
public readonly record struct PciAddress(byte Bus, byte Device, byte Function)
{
    public const int DevicesPerBus = 32;
    public const int FunctionsPerDevice = 8;

    public bool IsValid => Device < DevicesPerBus && Function < FunctionsPerDevice;

    public override string ToString() => $"{Bus:x2}:{Device:x2}.{Function:x}";
}
