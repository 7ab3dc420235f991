using Turnstone.HostIo;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// The open /dev/kvm: checks the API version and the capabilities the engine relies on, and
/// creates VMs. One per process is enough, but nothing stops a test from opening several.
/// </summary>
public sealed unsafe class KvmSystem : IDisposable
{
    public const string DevicePath = "/dev/kvm";
    private const int ExpectedApiVersion = 12;

    private static readonly (KvmCapability Capability, string Why)[] Required =
    [
        (KvmCapability.UserMemory, "guest RAM from host mappings"),
        (KvmCapability.Irqchip, "in-kernel interrupt controllers"),
        (KvmCapability.Pit2, "in-kernel PIT"),
        (KvmCapability.SetTssAddr, "real-mode TSS address"),
        (KvmCapability.SetIdentityMapAddr, "identity-map page address"),
        (KvmCapability.ExtCpuid, "CPUID configuration"),
        (KvmCapability.VcpuEvents, "exception injection"),
        (KvmCapability.ImmediateExit, "stopping a running vCPU from another thread"),
    ];

    internal FileDescriptor Handle { get; }

    public int VcpuMmapSize { get; }

    private KvmSystem(FileDescriptor handle)
    {
        Handle = handle;
        int version = Libc.Ioctl(handle.Fd, KvmIoctls.GetApiVersion, 0);
        if (version < 0)
        {
            throw new KvmException($"{DevicePath} is not a KVM device (KVM_GET_API_VERSION: {Libc.ErrorText(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())})");
        }
        if (version != ExpectedApiVersion)
        {
            throw new KvmException($"{DevicePath} reports KVM API version {version}; this monitor needs {ExpectedApiVersion}");
        }
        foreach (var (capability, why) in Required)
        {
            if (!HasCapability(capability))
            {
                throw new KvmException($"the host's KVM lacks capability {capability} (needed for {why})");
            }
        }
        VcpuMmapSize = Libc.Ioctl(handle.Fd, KvmIoctls.GetVcpuMmapSize, 0);
        if (VcpuMmapSize < 4096)
        {
            throw KvmException.FromErrno("KVM_GET_VCPU_MMAP_SIZE");
        }
    }

    /// <summary>Opens /dev/kvm, with an error that says what to do when it is missing or not accessible.</summary>
    public static KvmSystem Open(string path = DevicePath)
    {
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            string hint = errno switch
            {
                2 => "it does not exist: the host has no KVM (enable virtualization, load kvm_intel or kvm_amd)",
                13 => "permission denied: add your user to the 'kvm' group or run as root",
                _ => Libc.ErrorText(errno),
            };
            throw new KvmException($"cannot open {path}: {hint}", errno);
        }
        var handle = new FileDescriptor(fd);
        try
        {
            return new KvmSystem(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether this process can run guests on KVM here: /dev/kvm opens read-write, speaks API
    /// version 12 and has every capability the engine needs. The reason says why not, in the words
    /// <see cref="Open"/> would use (tests and the CLI print it when they skip or refuse).
    /// </summary>
    public static KvmAvailability Probe(string path = DevicePath)
    {
        try
        {
            using var kvm = Open(path);
            return KvmAvailability.Usable;
        }
        catch (KvmException e)
        {
            return KvmAvailability.Unusable(e.Message);
        }
    }

    internal bool HasCapability(KvmCapability capability) => CheckExtension(capability) > 0;

    internal int CheckExtension(KvmCapability capability) => Libc.Ioctl(Handle.Fd, KvmIoctls.CheckExtension, (nint)capability);

    /// <summary>The CPUID leaves this host's KVM can expose to a guest.</summary>
    public KvmCpuidEntry2[] GetSupportedCpuid()
    {
        const int MaxEntries = 256;
        int size = sizeof(KvmCpuid2Header) + MaxEntries * sizeof(KvmCpuidEntry2);
        byte* buffer = stackalloc byte[size];
        new Span<byte>(buffer, size).Clear();
        ((KvmCpuid2Header*)buffer)->Count = MaxEntries;
        if (Libc.Ioctl(Handle.Fd, KvmIoctls.GetSupportedCpuid, buffer) < 0)
        {
            throw KvmException.FromErrno("KVM_GET_SUPPORTED_CPUID");
        }
        int count = (int)((KvmCpuid2Header*)buffer)->Count;
        return new ReadOnlySpan<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2Header), count).ToArray();
    }

    public VirtualMachine CreateVm() => new(this);

    public void Dispose() => Handle.Dispose();
}
