namespace Turnstone.Acpi.Description;

/// <summary>The I/O APIC the MADT announces: its id, MMIO address and first GSI.</summary>
public sealed record IoApicDescription(byte Id, uint Address, uint GsiBase);
