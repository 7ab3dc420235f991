namespace Turnstone.Acpi.Description;

/// <summary>A 16550 UART the DSDT declares (PNP0501): its base port and ISA IRQ.</summary>
public sealed record SerialPortDescription(ushort Port, byte Irq);
