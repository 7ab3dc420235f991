using Turnstone.Bench.Boot;
using Turnstone.Engine;

namespace Turnstone.Bench.Bios;

/// <summary>The rows one <c>bench bios</c> run measures, and why KVM's are there or not.</summary>
public sealed record BiosBenchPlan(IReadOnlyList<BiosBenchRowPlan> Rows, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// Every image on the software engine unless <c>--engine kvm</c>; on KVM too where it can be
    /// opened (auto) or is asked for (kvm, both: an error without it). A nested PVM host's KVM
    /// runs no real-mode or 32-bit guest code at all, so a BIOS boot cannot run there: auto and
    /// both leave its rows out with that reason, kvm alone is an error.
    /// </summary>
    public static BiosBenchPlan? Resolve(BootBenchSelection selection, IReadOnlyList<BiosBenchImage> images, bool kvmUsable, string kvmReason,
        bool kvmIsNestedPvm, out string? error)
    {
        error = null;
        if (images.Count == 0)
        {
            error = "no disk image to boot: give --grub-mbr, --syslinux-fat, --gpt-cloud and/or --debian12 (or leave them at their defaults in a checkout)";
            return null;
        }
        var notes = new List<string>();
        bool software = selection != BootBenchSelection.Kvm;
        bool explicitKvm = selection is BootBenchSelection.Kvm or BootBenchSelection.Both;
        if (explicitKvm && !kvmUsable)
        {
            error = $"--engine {selection.ToString().ToLowerInvariant()} needs KVM, which is not usable here: {kvmReason}";
            return null;
        }
        const string nestedReason = "KVM here is nested PVM (kvm_pvm), which cannot run real-mode or 32-bit guest code, so a BIOS boot cannot run on it";
        if (selection == BootBenchSelection.Kvm && kvmIsNestedPvm)
        {
            error = $"--engine kvm: {nestedReason}; --engine soft measures the software engine";
            return null;
        }
        bool kvm = selection != BootBenchSelection.Soft && kvmUsable && !kvmIsNestedPvm;
        if (selection == BootBenchSelection.Soft)
        {
            notes.Add("--engine soft: the software engine alone");
        }
        else if (kvmUsable && kvmIsNestedPvm)
        {
            notes.Add($"KVM rows left out: {nestedReason}");
        }
        else if (!kvm)
        {
            notes.Add($"--engine auto: the software engine alone (no usable KVM: {kvmReason})");
        }
        var rows = new List<BiosBenchRowPlan>();
        foreach (var image in images)
        {
            if (software)
            {
                rows.Add(new BiosBenchRowPlan(image, EngineKind.Software));
            }
            if (kvm)
            {
                rows.Add(new BiosBenchRowPlan(image, EngineKind.Kvm));
            }
        }
        return new BiosBenchPlan(rows, notes);
    }
}
