namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// What a local APIC operation must tell others once its lock is released: callbacks run
/// outside the lock, so an I/O APIC re-delivering on EOI, or a vCPU woken, cannot deadlock with it.
/// </summary>
internal record struct LocalApicNotifications(bool Wake, int EoiBroadcastVector, InterprocessorInterrupt? Ipi)
{
    public static LocalApicNotifications None => new(false, -1, null);
}
