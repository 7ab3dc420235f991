namespace Turnstone.Acpi.Tables;

/// <summary>Where one table landed: its signature, guest-physical address and length.</summary>
public readonly record struct PlacedTable(string Signature, ulong Address, int Length);
