using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

/// <summary>
/// A vCPU that plays back a list of exits, each with the bytes KVM would have left in the run page
/// for it, so <see cref="VcpuLoop"/> runs without KVM. Reports name the reason and the exit, so a
/// test can see which exit a report was made for.
/// </summary>
internal sealed class ScriptedVcpu(params (VcpuExit Exit, byte[] Data)[] script) : IVcpuExitSource
{
    private readonly Queue<(VcpuExit Exit, byte[] Data)> _script = new(script);
    private byte[] _data = [];

    /// <summary>Exits the engine claims for itself: the failure it reports for each (null: handled).</summary>
    public Dictionary<VcpuExitReason, string?> EngineExits { get; } = [];

    /// <summary>Every exit the loop offered the engine, in order.</summary>
    public List<VcpuExit> OfferedToEngine { get; } = [];

    /// <summary>The data of the exit last returned by <see cref="Run"/>, as the loop left it.</summary>
    public byte[] LastData => _data;

    public VcpuExit Run()
    {
        if (!_script.TryDequeue(out var step))
        {
            throw new InvalidOperationException("the script has no more exits");
        }
        _data = step.Data;
        return step.Exit;
    }

    public Span<byte> IoData => _data;

    public Span<byte> MmioData => _data;

    public bool TryHandleEngineExit(in VcpuExit exit, out string? failure)
    {
        OfferedToEngine.Add(exit);
        return EngineExits.TryGetValue(exit.Reason, out failure);
    }

    public string StateReport(string reason, in VcpuExit exit) => $"state report: {reason}; exit: {exit}";
}
