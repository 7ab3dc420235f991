namespace Turnstone.Bench.Engine;

/// <summary>Which engines one <c>bench engine</c> run measures, and why.</summary>
public sealed record EngineBenchEngines(bool Software, bool Kvm, string Reason)
{
    /// <summary>Resolves the selection against what the probe of /dev/kvm found; null with
    /// <paramref name="error"/> when KVM is asked for and unusable.</summary>
    public static EngineBenchEngines? Resolve(EngineBenchSelection selection, bool kvmUsable, string kvmReason, out string? error)
    {
        error = null;
        switch (selection)
        {
            case EngineBenchSelection.Soft:
                return new EngineBenchEngines(true, false, "--engine soft");
            case EngineBenchSelection.Auto:
                return kvmUsable
                    ? new EngineBenchEngines(true, true, "--engine auto: KVM is usable, so both")
                    : new EngineBenchEngines(true, false, $"--engine auto: the software engine alone (no usable KVM: {kvmReason})");
            case EngineBenchSelection.Kvm when kvmUsable:
                return new EngineBenchEngines(false, true, "--engine kvm");
            case EngineBenchSelection.Both when kvmUsable:
                return new EngineBenchEngines(true, true, "--engine both");
            default:
                error = $"--engine {selection.ToString().ToLowerInvariant()} needs KVM, which is not usable here: {kvmReason}";
                return null;
        }
    }
}
