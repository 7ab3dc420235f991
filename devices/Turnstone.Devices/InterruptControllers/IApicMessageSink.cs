namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// Where the I/O APIC and MSI writes send interrupt messages: with one vCPU, its local APIC;
/// with more, a bus that offers each message to every local APIC whose destination matches.
/// Thread-safe: messages come from device worker threads too.
/// </summary>
public interface IApicMessageSink
{
    void Deliver(in ApicMessage message);
}
