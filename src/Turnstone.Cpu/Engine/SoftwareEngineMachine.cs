using Turnstone.Engine;
using Turnstone.GuestMemory;

namespace Turnstone.Cpu.Engine;

/// <summary>
/// RAM at 0 in host memory and one <see cref="SoftwareCpu"/>. The dirty log is the memory's own:
/// the CPU logs a page when it makes a write translation for it, the host's spans log theirs, and
/// forgetting pages drops the CPU's write translations so the next write logs again. It behaves
/// like KVM's manual dirty-log protection.
/// </summary>
internal sealed class SoftwareEngineMachine : IEngineMachine
{
    private readonly GuestPhysicalMemory _memory;
    private readonly SoftwareEngineVcpu _vcpu;

    public SoftwareEngineMachine(ulong memorySize)
    {
        if (memorySize == 0 || memorySize % GuestPhysicalMemory.PageSize != 0)
        {
            throw new ArgumentException($"memory size {memorySize} must be a non-zero multiple of 4 KiB", nameof(memorySize));
        }
        MemorySize = memorySize;
        _memory = GuestPhysicalMemory.Allocate((0, memorySize));
        _vcpu = new SoftwareEngineVcpu(new SoftwareCpu(_memory));
    }

    public EngineKind Engine => EngineKind.Software;
    public ulong MemorySize { get; }
    public IGuestMemory Memory => _memory;
    public IEngineVcpu Vcpu => _vcpu;
    public bool ManualDirtyLog => true;

    public void TakeDirtyPages(Span<ulong> bitmap) => _memory.TakeDirtyPages(0, bitmap);

    public void ForgetDirtyPages(Span<ulong> bitmap) => _memory.ForgetDirtyPages(0, bitmap);

    public void DiscardMemory() => _memory.Clear();

    public void Dispose() => _memory.Dispose();
}
