namespace Turnstone.Devices.InterruptControllers;

/// <summary>The delivery mode field (bits 10:8) of LVT entries, the ICR, I/O APIC redirection entries and MSI data.</summary>
public enum ApicDeliveryMode
{
    Fixed = 0,
    LowestPriority = 1,
    Smi = 2,
    Nmi = 4,
    Init = 5,
    StartUp = 6,
    ExtInt = 7,
}
