using Turnstone.Engine;

namespace Turnstone.Bench.Boot;

/// <summary>The rows one <c>bench boot</c> run measures, and why KVM's are there or not.</summary>
public sealed record BootBenchPlan(IReadOnlyList<BootBenchRowPlan> Rows, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// The rows for <paramref name="kernels"/>: the software engine for every kernel unless
    /// <c>--engine kvm</c>, KVM where it can be opened (auto) or is asked for (kvm, both: an error
    /// without it). Where KVM is a nested PVM host that emulates guest kernel code, its row is the
    /// minimal kernel's alone (minutes a boot there; Debian's cloud kernel takes about 24
    /// minutes and needs the workarounds in images/cloud-kernel.cmdline), and the notes say so.
    /// </summary>
    public static BootBenchPlan? Resolve(BootBenchSelection selection, IReadOnlyList<BootBenchKernel> kernels, bool kvmUsable, string kvmReason,
        bool kvmEmulatesGuestKernelCode, out string? error)
    {
        error = null;
        if (kernels.Count == 0)
        {
            error = "no kernel to boot: give --minimal-kernel or --cloud-kernel (or leave one at its default in a checkout)";
            return null;
        }
        var notes = new List<string>();
        bool software = selection != BootBenchSelection.Kvm;
        bool kvm = selection switch
        {
            BootBenchSelection.Soft => false,
            BootBenchSelection.Auto => kvmUsable,
            _ => true,
        };
        if (kvm && !kvmUsable)
        {
            error = $"--engine {selection.ToString().ToLowerInvariant()} needs KVM, which is not usable here: {kvmReason}";
            return null;
        }
        if (selection == BootBenchSelection.Soft)
        {
            notes.Add("--engine soft: the software engine alone");
        }
        else if (!kvm)
        {
            notes.Add($"--engine auto: the software engine alone (no usable KVM: {kvmReason})");
        }
        var kvmKernels = kernels;
        if (kvm && kvmEmulatesGuestKernelCode)
        {
            kvmKernels = kernels.Where(kernel => kernel.Name == BootBenchKernel.Minimal).ToList();
            notes.Add("KVM here is nested PVM (kvm_pvm), which emulates guest kernel code: a KVM boot of the minimal kernel takes one to several minutes " +
                      "(2-8 minutes measured at load average 20; --engine soft skips it); Debian's cloud kernel is left off KVM (about 24 minutes a boot here, with the workarounds of images/cloud-kernel.cmdline)");
            if (kvmKernels.Count == 0 && !software)
            {
                error = "--engine kvm on a nested PVM host boots the minimal kernel only, and none was given";
                return null;
            }
        }
        var rows = new List<BootBenchRowPlan>();
        foreach (var kernel in kernels)
        {
            if (software)
            {
                rows.Add(new BootBenchRowPlan(kernel, EngineKind.Software, BootCommandLines.For(EngineKind.Software)));
            }
            if (kvm && kvmKernels.Contains(kernel))
            {
                rows.Add(new BootBenchRowPlan(kernel, EngineKind.Kvm, BootCommandLines.For(EngineKind.Kvm)));
            }
        }
        return new BootBenchPlan(rows, notes);
    }
}
