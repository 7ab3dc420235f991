using Turnstone.Engine;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Engines;

/// <summary>
/// Which engine a machine runs on, and why: <c>auto</c> is KVM when /dev/kvm can be opened, the
/// software engine otherwise, for Linux and freestanding guests alike (the software engine has its
/// own interrupt controllers and timers, issue 12).
/// </summary>
public static class MachineEngineSelection
{
    /// <summary>
    /// The engine for <paramref name="choice"/> and the reason, for the log line. <c>kvm</c> is
    /// taken as asked (a missing /dev/kvm then fails with KVM's own message when the machine runs).
    /// </summary>
    public static (EngineKind Engine, string Reason) Resolve(EngineChoice choice, bool guestIsLinux, Func<KvmAvailability>? probe = null)
    {
        _ = guestIsLinux;
        switch (choice)
        {
            case EngineChoice.Kvm:
                return (EngineKind.Kvm, "--engine kvm");
            case EngineChoice.Soft:
                return (EngineKind.Software, "--engine soft");
            default:
                var kvm = (probe ?? (() => KvmSystem.Probe()))();
                return kvm.IsUsable
                    ? (EngineKind.Kvm, "auto: /dev/kvm is usable")
                    : (EngineKind.Software, $"auto: KVM is unusable ({kvm.Reason})");
        }
    }

    /// <summary>Whether <paramref name="kernel"/> is Linux (a bzImage, or an ELF with Linux's notes)
    /// rather than a freestanding guest that happens to use a Linux or PVH entry.</summary>
    public static bool IsLinux(LinuxKernelImage kernel) =>
        kernel.Elf is not { } elf || kernel.Path is KernelEntryPath.CompressedBzImage or KernelEntryPath.HostDecompressedVmlinux
            || BootProtocolSelection.IsLinuxKernel(elf);

    /// <summary>The name the CLI prints and parses: kvm or soft.</summary>
    public static string Name(EngineKind engine) => engine == EngineKind.Kvm ? "kvm" : "soft";
}
