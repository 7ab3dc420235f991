using Turnstone.Engine;

namespace Turnstone.Cpu.Engine;

/// <summary>
/// The software CPU behind the engine interface: needs nothing from the host, not even /dev/kvm.
/// It has no interrupt controllers or timers: the host models them (for Linux, the machine's
/// software backend connects devices/' local APIC, I/O APIC, 8259 pair and PIT).
/// </summary>
public sealed class SoftwareEngine : IExecutionEngine
{
    public EngineKind Kind => EngineKind.Software;

    public InterruptControllerModel InterruptControllers => InterruptControllerModel.Host;

    public IEngineMachine CreateMachine(ulong memorySize) => new SoftwareEngineMachine(memorySize);

    public void Dispose()
    {
    }
}
