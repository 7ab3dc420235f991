using Turnstone.Engine;
using Turnstone.Firmware.LinuxBoot;

namespace Turnstone.Machine;

/// <summary>What to boot and with what resources; validated by <see cref="LinuxMachine.Prepare"/>.</summary>
public sealed record MachineConfig
{
    public const ulong DefaultMemory = 512ul << 20;
    public const ulong MinimumMemory = 32ul << 20;
    /// <summary>Command line on KVM, tuned for hosts that emulate guest kernel code (see README: boot figures).</summary>
    public const string DefaultCommandLine = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=smap quiet";
    /// <summary>
    /// Command line on the software engine: its CPUID is the truth, so nothing needs working around.
    /// (It once carried tsc_early_khz: Linux reads the TSC rate of CPUID leaf 0x15 only from CPUs with
    /// Intel's vendor string, and calibrating against the PIT fails under an interpreter's exit jitter;
    /// the CPU now says GenuineIntel, so Linux finds the rate itself, as it does in disk images whose
    /// command line we do not write.)
    /// </summary>
    public const string SoftwareEngineCommandLine = "console=ttyS0 reboot=k panic=-1 quiet";

    /// <summary>The default command line for <paramref name="engine"/>.</summary>
    public static string DefaultCommandLineFor(EngineKind engine) =>
        engine == EngineKind.Software ? SoftwareEngineCommandLine : DefaultCommandLine;

    /// <summary>The kernel to boot with the Linux boot protocol (or PVH); null to boot the first disk through the BIOS.</summary>
    public string? KernelPath { get; init; }
    /// <summary>What starts the guest: auto (the Linux boot protocol with a kernel, the BIOS without), or the BIOS explicitly.</summary>
    public FirmwareChoice Firmware { get; init; } = FirmwareChoice.Auto;
    public string? InitrdPath { get; init; }
    /// <summary>The kernel command line; null for the engine's default (<see cref="DefaultCommandLineFor"/>).</summary>
    public string? CommandLine { get; init; }
    public ulong MemoryBytes { get; init; } = DefaultMemory;
    public int Cpus { get; init; } = 1;
    /// <summary>Raw disk images, each a virtio-blk device on PCI (the first is /dev/vda).</summary>
    public IReadOnlyList<DiskConfig> Disks { get; init; } = [];
    /// <summary>Decompress an LZ4 or gzip bzImage payload on the host instead of in the guest.</summary>
    public bool DecompressOnHost { get; init; } = true;
    /// <summary>How to enter an ELF kernel: Linux 64-bit entry or PVH (see <see cref="BootProtocolSelection"/>).</summary>
    public BootProtocol Boot { get; init; } = BootProtocol.Auto;
    /// <summary>What runs the guest: KVM, the software engine, or auto (KVM when /dev/kvm can be opened).</summary>
    public EngineChoice Engine { get; init; } = EngineChoice.Auto;
    /// <summary>Bytes the guest writes to its console.</summary>
    public Stream? ConsoleOutput { get; init; }
    /// <summary>Where bytes for the guest's console come from (null: no input).</summary>
    public Stream? ConsoleInput { get; init; }
    /// <summary>Monitor messages (boot timer, summary); null to stay silent.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>The <c>--firmware</c> choices.</summary>
public enum FirmwareChoice
{
    /// <summary>The Linux boot protocol when a kernel is given, the BIOS booting the first disk otherwise.</summary>
    Auto,
    /// <summary>A legacy BIOS boots the first disk's MBR (drive 80h), as QEMU with SeaBIOS does without -kernel.</summary>
    Bios,
    /// <summary>UEFI: not implemented yet.</summary>
    Uefi,
}

/// <summary>How a VM ended.</summary>
public enum MachineExitKind
{
    PowerOff,
    Reset,
    TripleFault,
    Interrupted,
    Error,
}

public sealed record MachineExit(MachineExitKind Kind, string Reason, string? Report = null);
