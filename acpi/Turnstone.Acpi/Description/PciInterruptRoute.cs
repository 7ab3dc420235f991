using Turnstone.PciRoot;

namespace Turnstone.Acpi.Description;

/// <summary>Where a slot's INTx line arrives: a GSI on the I/O APIC (a _PRT entry with no link device).</summary>
public sealed record PciInterruptRoute(byte Device, PciInterruptPin Pin, uint Gsi);
