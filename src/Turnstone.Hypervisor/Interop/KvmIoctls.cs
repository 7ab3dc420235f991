namespace Turnstone.Hypervisor.Interop;

/// <summary>
/// Request numbers from linux/kvm.h, built with the kernel's _IO/_IOR/_IOW/_IOWR encoding so each
/// carries the size of its argument structure (tests check those sizes against the kernel ABI).
/// </summary>
internal static unsafe class KvmIoctls
{
    private const uint Kvmio = 0xAE;

    private static nuint Io(uint nr) => (Kvmio << 8) | nr;
    private static nuint Ior(uint nr, int size) => (2u << 30) | ((uint)size << 16) | (Kvmio << 8) | nr;
    private static nuint Iow(uint nr, int size) => (1u << 30) | ((uint)size << 16) | (Kvmio << 8) | nr;
    private static nuint Iowr(uint nr, int size) => (3u << 30) | ((uint)size << 16) | (Kvmio << 8) | nr;

    // System ioctls
    public static readonly nuint GetApiVersion = Io(0x00);
    public static readonly nuint CreateVm = Io(0x01);
    public static readonly nuint CheckExtension = Io(0x03);
    public static readonly nuint GetVcpuMmapSize = Io(0x04);
    public static readonly nuint GetSupportedCpuid = Iowr(0x05, sizeof(KvmCpuid2Header));

    // VM ioctls
    public static readonly nuint CreateVcpu = Io(0x41);
    public static readonly nuint SetUserMemoryRegion = Iow(0x46, sizeof(KvmUserspaceMemoryRegion));
    public static readonly nuint GetDirtyLog = Iow(0x42, sizeof(KvmDirtyLog));
    public static readonly nuint ClearDirtyLog = Iowr(0xc0, sizeof(KvmClearDirtyLog));
    public static readonly nuint EnableCap = Iow(0xa3, sizeof(KvmEnableCap));
    public static readonly nuint SetTssAddr = Io(0x47);
    public static readonly nuint SetIdentityMapAddr = Iow(0x48, sizeof(ulong));
    public static readonly nuint CreateIrqchip = Io(0x60);
    public static readonly nuint IrqLine = Iow(0x61, sizeof(KvmIrqLevel));
    public static readonly nuint CreatePit2 = Iow(0x77, sizeof(KvmPitConfig));
    public static readonly nuint IrqFd = Iow(0x76, sizeof(KvmIrqFd));
    public static readonly nuint IoEventFd = Iow(0x79, sizeof(KvmIoEventFd));
    public static readonly nuint SignalMsi = Iow(0xa5, sizeof(KvmMsi));

    // vCPU ioctls
    public static readonly nuint Run = Io(0x80);
    public static readonly nuint GetRegs = Ior(0x81, sizeof(KvmRegs));
    public static readonly nuint SetRegs = Iow(0x82, sizeof(KvmRegs));
    public static readonly nuint GetSregs = Ior(0x83, sizeof(KvmSregs));
    public static readonly nuint SetSregs = Iow(0x84, sizeof(KvmSregs));
    public static readonly nuint GetMsrs = Iowr(0x88, sizeof(KvmMsrsHeader));
    public static readonly nuint SetMsrs = Iow(0x89, sizeof(KvmMsrsHeader));
    public static readonly nuint GetFpu = Ior(0x8c, sizeof(KvmFpu));
    public static readonly nuint SetFpu = Iow(0x8d, sizeof(KvmFpu));
    public static readonly nuint SetCpuid2 = Iow(0x90, sizeof(KvmCpuid2Header));
    public static readonly nuint SetGuestDebug = Iow(0x9b, sizeof(KvmGuestDebug));
    public static readonly nuint GetVcpuEvents = Ior(0x9f, sizeof(KvmVcpuEvents));
    public static readonly nuint SetVcpuEvents = Iow(0xa0, sizeof(KvmVcpuEvents));
    public static readonly nuint GetXsave = Ior(0xa4, sizeof(KvmXsave));
    public static readonly nuint SetXsave = Iow(0xa5, sizeof(KvmXsave));
    public static readonly nuint GetXcrs = Ior(0xa6, sizeof(KvmXcrs));
}

/// <summary>KVM_CAP_* numbers we depend on.</summary>
internal enum KvmCapability
{
    Irqchip = 0,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    Pit2 = 33,
    SetIdentityMapAddr = 37,
    VcpuEvents = 41,
    SetGuestDebug = 23,
    ImmediateExit = 136,
    Xsave = 55,
    SyncRegs = 74, // answers with the mask of register sets it can sync
    ManualDirtyLogProtect2 = 168,
    IrqFd = 32,
    IoEventFd = 36,
    SignalMsi = 77,
}
