using Turnstone.Engine;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Hypervisor.Engine;

/// <summary>A KVM VM with its RAM at 0 in one dirty-logged slot, and one vCPU with synced registers.</summary>
internal sealed class KvmEngineMachine : IEngineMachine
{
    private readonly VirtualMachine _vm;
    private readonly KvmEngineVcpu _vcpu;
    private readonly uint _slot;

    private KvmEngineMachine(VirtualMachine vm, Vcpu vcpu, uint slot, ulong memorySize, bool manualDirtyLog)
    {
        _vm = vm;
        _vcpu = new KvmEngineVcpu(vcpu);
        _slot = slot;
        MemorySize = memorySize;
        ManualDirtyLog = manualDirtyLog;
    }

    public static KvmEngineMachine Create(KvmSystem kvm, KvmCpuidEntry2[] cpuid, ulong memorySize)
    {
        var vm = kvm.CreateVm();
        Vcpu? vcpu = null;
        try
        {
            bool manualDirtyLog = vm.TryEnableManualDirtyLogProtection();
            uint slot = vm.AddRam(0, memorySize, trackDirtyPages: true);
            vcpu = vm.CreateVcpu(0);
            vcpu.SetCpuid(cpuid);
            vcpu.EnableRegisterSync();
            return new KvmEngineMachine(vm, vcpu, slot, memorySize, manualDirtyLog);
        }
        catch
        {
            vcpu?.Dispose();
            vm.Dispose();
            throw;
        }
    }

    public EngineKind Engine => EngineKind.Kvm;
    public ulong MemorySize { get; }
    public IGuestMemory Memory => _vm.Memory;
    public IEngineVcpu Vcpu => _vcpu;
    public bool ManualDirtyLog { get; }

    public void TakeDirtyPages(Span<ulong> bitmap) => _vm.TakeDirtyPages(_slot, bitmap);

    /// <summary>Write-protects the pages again so later writes are logged afresh. Without manual
    /// protection, reading the log already did that.</summary>
    public void ForgetDirtyPages(Span<ulong> bitmap)
    {
        if (ManualDirtyLog)
        {
            _vm.ClearDirtyPages(_slot, MemorySize / 4096, bitmap);
        }
    }

    public void DiscardMemory() => _vm.Memory.Discard();

    public void Dispose()
    {
        _vcpu.Dispose();
        _vm.Dispose();
    }
}
