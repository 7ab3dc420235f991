namespace Turnstone.PciRoot;

/// <summary>
/// A PCI function's legacy interrupt pin. The values are the Interrupt Pin register's (config
/// offset 0x3D, read-only): 0 for none, 1 to 4 for INTA to INTD. An ACPI _PRT entry numbers the
/// same pins from 0, so the DSDT subtracts <see cref="IntA"/> when it writes one.
/// </summary>
public enum PciInterruptPin : byte
{
    None = 0,
    IntA = 1,
    IntB = 2,
    IntC = 3,
    IntD = 4,
}
