namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// An interrupt message as the APIC bus (or an MSI write) carries it to local APICs: vector,
/// delivery mode, an 8-bit destination in physical (APIC ID, 0xFF broadcast) or logical
/// (matched against LDR and DFR) mode, and the trigger mode the receiver records in its TMR.
/// </summary>
public readonly record struct ApicMessage(
    byte Vector,
    ApicDeliveryMode DeliveryMode,
    byte Destination,
    bool LogicalDestination,
    bool LevelTriggered)
{
    /// <summary>Decodes an MSI: address 0xFEEx_xxxx (destination ID in bits 19:12, destination mode bit 2), data (vector, delivery mode, trigger bit 15).</summary>
    public static ApicMessage FromMsi(ulong address, uint data) => new(
        (byte)data,
        (ApicDeliveryMode)(data >> 8 & 7),
        (byte)(address >> 12),
        (address & 0x4) != 0,
        (data & 0x8000) != 0);
}
