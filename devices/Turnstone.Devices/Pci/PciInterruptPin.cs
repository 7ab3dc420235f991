namespace Turnstone.Devices.Pci;

/// <summary>The legacy interrupt pin a function uses (Interrupt Pin register, read-only).</summary>
public enum PciInterruptPin : byte
{
    None = 0,
    IntA = 1,
    IntB = 2,
    IntC = 3,
    IntD = 4,
}
