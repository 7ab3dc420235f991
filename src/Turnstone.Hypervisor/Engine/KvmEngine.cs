using Turnstone.Engine;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Hypervisor.Engine;

/// <summary>
/// KVM behind the engine interface: /dev/kvm opened once, and the CPUID every vCPU gets computed
/// once. Opening throws <see cref="KvmException"/> with today's message when KVM is unusable.
/// </summary>
public sealed class KvmEngine : IExecutionEngine
{
    private readonly KvmSystem _kvm;
    private readonly KvmCpuidEntry2[] _cpuid;

    public KvmEngine()
    {
        _kvm = KvmSystem.Open();
        try
        {
            _cpuid = CpuidPolicy.For(_kvm.GetSupportedCpuid(), vcpuId: 0);
        }
        catch
        {
            _kvm.Dispose();
            throw;
        }
    }

    public EngineKind Kind => EngineKind.Kvm;

    /// <summary>KVM's in-kernel irqchip, when the caller creates one (the Linux machine does).</summary>
    public InterruptControllerModel InterruptControllers => InterruptControllerModel.InEngine;

    /// <summary>KVM logs the guest's writes to RAM always: snapshot restore needs the log, and a
    /// component that keeps its state pays only one extra fault per page it first writes.</summary>
    public IEngineMachine CreateMachine(ulong memorySize) => KvmEngineMachine.Create(_kvm, _cpuid, memorySize);

    public void Dispose() => _kvm.Dispose();
}
