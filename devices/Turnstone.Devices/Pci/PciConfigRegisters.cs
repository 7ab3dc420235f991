namespace Turnstone.Devices.Pci;

/// <summary>Offsets of the type 0 configuration header (PCI Local Bus 3.0, section 6.1).</summary>
public static class PciConfigRegisters
{
    public const int VendorId = 0x00;
    public const int DeviceId = 0x02;
    public const int Command = 0x04;
    public const int Status = 0x06;
    public const int Revision = 0x08;
    public const int ProgrammingInterface = 0x09;
    public const int SubClass = 0x0A;
    public const int BaseClass = 0x0B;
    public const int CacheLineSize = 0x0C;
    public const int LatencyTimer = 0x0D;
    public const int HeaderType = 0x0E;
    public const int Bist = 0x0F;
    public const int Bar0 = 0x10;
    public const int CardbusCis = 0x28;
    public const int SubsystemVendorId = 0x2C;
    public const int SubsystemId = 0x2E;
    public const int ExpansionRom = 0x30;
    public const int CapabilitiesPointer = 0x34;
    public const int InterruptLine = 0x3C;
    public const int InterruptPin = 0x3D;
    public const int MinGrant = 0x3E;
    public const int MaxLatency = 0x3F;

    /// <summary>First byte past the header: where the monitor places standard capabilities.</summary>
    public const int HeaderEnd = 0x40;

    /// <summary>Extended configuration space (PCIe only, reachable through ECAM alone).</summary>
    public const int ExtendedStart = 0x100;

    public const byte HeaderTypeMultiFunction = 0x80;
}
