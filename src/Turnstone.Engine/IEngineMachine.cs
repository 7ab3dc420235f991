using Turnstone.GuestMemory;

namespace Turnstone.Engine;

/// <summary>
/// A machine on an engine: RAM at guest-physical 0 whose writes are logged per 4 KiB page (for
/// component snapshots), and one vCPU. Created, run and disposed by one thread.
/// </summary>
public interface IEngineMachine : IDisposable
{
    EngineKind Engine { get; }

    ulong MemorySize { get; }

    IGuestMemory Memory { get; }

    IEngineVcpu Vcpu { get; }

    /// <summary>True when <see cref="TakeDirtyPages"/> leaves pages logged (and, under KVM, writable)
    /// until <see cref="ForgetDirtyPages"/>; false when taking the log already forgot them.</summary>
    bool ManualDirtyLog { get; }

    /// <summary>Writes the pages written since they were last forgotten into <paramref name="bitmap"/>
    /// (one bit per page, replacing its contents). Which writes count differs: KVM logs the guest's;
    /// the software engine logs the guest's and the host's through spans.</summary>
    void TakeDirtyPages(Span<ulong> bitmap);

    /// <summary>Forgets the pages set in <paramref name="bitmap"/>, so only later writes log them again.</summary>
    void ForgetDirtyPages(Span<ulong> bitmap);

    /// <summary>Makes every page of RAM read as zero again (the dirty log is not touched).</summary>
    void DiscardMemory();
}
