namespace Turnstone.Engine;

/// <summary>
/// An engine: KVM (Turnstone.Hypervisor's <c>KvmEngine</c>) or the software CPU (Turnstone.Cpu's
/// <c>SoftwareEngine</c>). It makes what components need: one vCPU over RAM at 0. The Linux
/// machine needs more (port and MMIO exits with their data, the PC RAM layout, interrupt
/// controllers) and runs on either engine through its own MachineBackend (Turnstone.Machine/Engines).
/// </summary>
public interface IExecutionEngine : IDisposable
{
    EngineKind Kind { get; }

    InterruptControllerModel InterruptControllers { get; }

    /// <summary>A machine with <paramref name="memorySize"/> bytes of RAM at 0 (a multiple of 4 KiB) and one vCPU.</summary>
    IEngineMachine CreateMachine(ulong memorySize);
}
