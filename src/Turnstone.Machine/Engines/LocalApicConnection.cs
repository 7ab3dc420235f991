using Turnstone.Cpu;
using Turnstone.Devices.InterruptControllers;

namespace Turnstone.Machine.Engines;

/// <summary>
/// The software CPU's view of its local APIC (<see cref="ILocalApicConnection"/>): the TSC from the
/// APIC's clock, IA32_APIC_BASE, CR8 as the TPR's priority class, and IA32_TSC_DEADLINE, whose writes tell the vCPU loop to look at
/// the timers' deadlines again (<paramref name="deadlineChanged"/>).
/// </summary>
internal sealed class LocalApicConnection(LocalApic apic, Action deadlineChanged) : ILocalApicConnection
{
    public ulong ReadTimeStampCounter() => apic.ReadTimeStampCounter();

    public ulong ApicBase => apic.ApicBaseMsr;

    public bool TryWriteApicBase(ulong value) => apic.TryWriteApicBaseMsr(value);

    public ulong TaskPriorityClass
    {
        get => (ulong)(apic.TaskPriority >> 4);
        set => apic.TaskPriority = (byte)(value << 4);
    }

    public ulong TscDeadline
    {
        get => apic.TscDeadline;
        set
        {
            apic.TscDeadline = value;
            deadlineChanged();
        }
    }
}
