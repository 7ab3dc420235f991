namespace Turnstone.Acpi.Aml.Resources;

/// <summary>The resource type byte of an address space descriptor.</summary>
public enum AddressSpaceType : byte
{
    Memory = 0,
    Io = 1,
    BusNumber = 2,
}
