namespace Turnstone.Devices.InterruptControllers;

/// <summary>Offsets of the xAPIC registers in the local APIC's 4 KiB page (Intel SDM vol. 3, table 11-1).</summary>
internal static class LocalApicRegister
{
    public const int Id = 0x020, Version = 0x030, TaskPriority = 0x080, ArbitrationPriority = 0x090, ProcessorPriority = 0x0A0,
        EndOfInterrupt = 0x0B0, RemoteRead = 0x0C0, LogicalDestination = 0x0D0, DestinationFormat = 0x0E0, SpuriousVector = 0x0F0,
        InService = 0x100, TriggerMode = 0x180, InterruptRequest = 0x200, ErrorStatus = 0x280,
        InterruptCommandLow = 0x300, InterruptCommandHigh = 0x310,
        LvtTimer = 0x320, LvtThermal = 0x330, LvtPerformance = 0x340, LvtLint0 = 0x350, LvtLint1 = 0x360, LvtError = 0x370,
        TimerInitialCount = 0x380, TimerCurrentCount = 0x390, TimerDivide = 0x3E0;
}
