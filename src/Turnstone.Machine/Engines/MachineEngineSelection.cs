using Turnstone.Engine;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.Machine.Engines;

/// <summary>
/// Which engine a machine runs on, and why: <c>auto</c> is KVM when /dev/kvm can be opened, the
/// software engine otherwise (it has its own interrupt controllers and timers), except that Linux
/// runs on the software engine where the host's KVM emulates guest kernel code (a nested PVM host),
/// because the data say so: measured 2026-12-06 on such a host, the minimal kernel reached init in
/// 1.4-1.8 s on the software engine against 47-52 s on KVM, Debian's cloud kernel powered off after
/// 10-11 s against about 1,440 s. Freestanding guests keep KVM there (their kernel-mode work is small).
/// </summary>
public static class MachineEngineSelection
{
    /// <summary>
    /// The engine for <paramref name="choice"/> and the reason, for the log line. <c>kvm</c> is
    /// taken as asked (a missing /dev/kvm then fails with KVM's own message when the machine runs).
    /// </summary>
    public static (EngineKind Engine, string Reason) Resolve(EngineChoice choice, bool guestIsLinux, Func<KvmAvailability>? probe = null,
        Func<bool>? kvmEmulatesGuestKernelCode = null)
    {
        switch (choice)
        {
            case EngineChoice.Kvm:
                return (EngineKind.Kvm, "--engine kvm");
            case EngineChoice.Soft:
                return (EngineKind.Software, "--engine soft");
            default:
                var kvm = (probe ?? (() => KvmSystem.Probe()))();
                if (!kvm.IsUsable)
                {
                    return (EngineKind.Software, $"auto: KVM is unusable ({kvm.Reason})");
                }
                if (guestIsLinux && (kvmEmulatesGuestKernelCode ?? (() => HostQuirks.Detect().EmulatesGuestKernelCode))())
                {
                    return (EngineKind.Software, "auto: this host's KVM is nested PVM (kvm_pvm) and emulates guest kernel code; " +
                        "Linux boots about 30 times faster on the software engine here (--engine kvm to insist)");
                }
                return (EngineKind.Kvm, "auto: /dev/kvm is usable");
        }
    }

    /// <summary>
    /// The engine for a BIOS boot: the guest starts in real mode and its boot loader runs in real
    /// and 32-bit protected mode, which a nested PVM host's KVM cannot run at all. So auto takes
    /// the software engine there (and where KVM is unusable), and <c>--engine kvm</c> there fails
    /// with that reason (<see cref="ArgumentException"/>) instead of a confusing KVM error.
    /// </summary>
    public static (EngineKind Engine, string Reason) ResolveForBios(EngineChoice choice, Func<KvmAvailability>? probe = null,
        Func<bool>? kvmEmulatesGuestKernelCode = null)
    {
        if (choice == EngineChoice.Soft)
        {
            return (EngineKind.Software, "--engine soft");
        }
        var kvm = (probe ?? (() => KvmSystem.Probe()))();
        if (!kvm.IsUsable)
        {
            return choice == EngineChoice.Kvm ? (EngineKind.Kvm, "--engine kvm") : (EngineKind.Software, $"auto: KVM is unusable ({kvm.Reason})");
        }
        if ((kvmEmulatesGuestKernelCode ?? (() => HostQuirks.Detect().EmulatesGuestKernelCode))())
        {
            if (choice == EngineChoice.Kvm)
            {
                throw new ArgumentException(BiosOnNestedKvm + "; use --engine soft (or auto, which picks it here)");
            }
            return (EngineKind.Software, "auto: " + BiosOnNestedKvm);
        }
        return choice == EngineChoice.Kvm ? (EngineKind.Kvm, "--engine kvm") : (EngineKind.Kvm, "auto: /dev/kvm is usable");
    }

    /// <summary>Why a BIOS boot cannot use this host's KVM.</summary>
    public const string BiosOnNestedKvm =
        "this host's KVM is nested PVM (kvm_pvm), which cannot run real-mode or 32-bit guest code, and a BIOS boot starts in real mode";

    /// <summary>Whether <paramref name="kernel"/> is Linux (a bzImage, or an ELF with Linux's notes)
    /// rather than a freestanding guest that happens to use a Linux or PVH entry.</summary>
    public static bool IsLinux(LinuxKernelImage kernel) =>
        kernel.Elf is not { } elf || kernel.Path is KernelEntryPath.CompressedBzImage or KernelEntryPath.HostDecompressedVmlinux
            || BootProtocolSelection.IsLinuxKernel(elf);

    /// <summary>The name the CLI prints and parses: kvm or soft.</summary>
    public static string Name(EngineKind engine) => engine == EngineKind.Kvm ? "kvm" : "soft";
}
