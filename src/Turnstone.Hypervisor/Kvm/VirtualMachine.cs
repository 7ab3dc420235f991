using Turnstone.HostIo;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// A KVM virtual machine: memory slots, the in-kernel interrupt controllers and PIT, interrupt
/// lines, and vCPUs. Owns its guest memory and releases it after the VM itself is closed.
/// </summary>
public sealed unsafe partial class VirtualMachine : IDisposable
{
    /// <summary>Addresses KVM needs on Intel hosts for real-mode emulation: three pages of TSS and
    /// one identity-map page, placed just below the 4 GiB boundary inside the PCI hole, never RAM.</summary>
    public const ulong TssAddress = 0xFFFB_D000;
    public const ulong IdentityMapAddress = 0xFFFB_C000;

    private readonly FileDescriptor _handle;
    private uint _nextSlot;

    internal VirtualMachine(KvmSystem system)
    {
        System = system;
        int fd = Libc.Ioctl(system.Handle.Fd, KvmIoctls.CreateVm, 0);
        if (fd < 0)
        {
            throw KvmException.FromErrno("KVM_CREATE_VM");
        }
        _handle = new FileDescriptor(fd);
        Memory = new MappedGuestMemory();
    }

    public KvmSystem System { get; }

    public MappedGuestMemory Memory { get; }

    internal int Fd => _handle.Fd;

    /// <summary>
    /// Maps host memory for [guestAddress, guestAddress+size) and registers it as a KVM memory slot,
    /// returning the slot number. With <paramref name="trackDirtyPages"/>, KVM records every page the
    /// guest writes (read and reset by <see cref="TakeDirtyPages"/>). <paramref name="hugePages"/>:
    /// see <see cref="MappedGuestMemory.AddRegion"/>.
    /// </summary>
    public uint AddRam(ulong guestAddress, ulong size, bool trackDirtyPages = false, bool hugePages = false)
    {
        Memory.AddRegion(guestAddress, size, hugePages);
        var (region, host) = Memory.Mappings.Single(m => m.Region.GuestAddress == guestAddress);
        const uint KVM_MEM_LOG_DIRTY_PAGES = 1;
        var slot = new KvmUserspaceMemoryRegion
        {
            Slot = _nextSlot++,
            Flags = trackDirtyPages ? KVM_MEM_LOG_DIRTY_PAGES : 0,
            GuestPhysAddr = region.GuestAddress,
            MemorySize = region.Size,
            UserspaceAddr = (ulong)host,
        };
        Check(Libc.Ioctl(Fd, KvmIoctls.SetUserMemoryRegion, &slot), "KVM_SET_USER_MEMORY_REGION");
        return slot.Slot;
    }

    /// <summary>
    /// Makes reading the dirty log leave it alone (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): pages stay
    /// logged and writable until <see cref="ClearDirtyPages"/> write-protects them again, so a
    /// page the guest writes every time need not fault every time. Enable before adding RAM.
    /// </summary>
    public bool TryEnableManualDirtyLogProtection()
    {
        if (System.CheckExtension(KvmCapability.ManualDirtyLogProtect2) <= 0)
        {
            return false;
        }
        var enable = new KvmEnableCap { Cap = (uint)KvmCapability.ManualDirtyLogProtect2 };
        enable.Args[0] = 1; // KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, without INITIALLY_SET
        Check(Libc.Ioctl(Fd, KvmIoctls.EnableCap, &enable), "KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2)");
        return true;
    }

    /// <summary>
    /// Forgets the pages set in <paramref name="bitmap"/> (bit 0 = page 0 of the slot) and
    /// write-protects them again, so the next write logs them afresh (KVM_CLEAR_DIRTY_LOG).
    /// </summary>
    public void ClearDirtyPages(uint slot, ulong pageCount, Span<ulong> bitmap)
    {
        fixed (ulong* bits = bitmap)
        {
            var clear = new KvmClearDirtyLog { Slot = slot, NumPages = (uint)pageCount, FirstPage = 0, DirtyBitmap = (ulong)bits };
            Check(Libc.Ioctl(Fd, KvmIoctls.ClearDirtyLog, &clear), "KVM_CLEAR_DIRTY_LOG");
        }
    }

    /// <summary>
    /// The pages of <paramref name="slot"/> the guest wrote (KVM_GET_DIRTY_LOG), one bit per page,
    /// page 0 in bit 0 of word 0. The log is reset by the call, unless manual protection is on
    /// (<see cref="TryEnableManualDirtyLogProtection"/>). The slot must have been added with dirty
    /// tracking; <paramref name="bitmap"/> needs a bit per page of the slot.
    /// </summary>
    public void TakeDirtyPages(uint slot, Span<ulong> bitmap)
    {
        fixed (ulong* bits = bitmap)
        {
            var log = new KvmDirtyLog { Slot = slot, DirtyBitmap = (ulong)bits };
            Check(Libc.Ioctl(Fd, KvmIoctls.GetDirtyLog, &log), "KVM_GET_DIRTY_LOG");
        }
    }

    /// <summary>Creates the in-kernel PIC, I/O APIC and local APICs, and the PIT (as every PC has).</summary>
    public void CreatePlatformInterruptControllers()
    {
        Check(Libc.Ioctl(Fd, KvmIoctls.SetTssAddr, unchecked((nint)TssAddress)), "KVM_SET_TSS_ADDR");
        ulong identityMap = IdentityMapAddress;
        Check(Libc.Ioctl(Fd, KvmIoctls.SetIdentityMapAddr, &identityMap), "KVM_SET_IDENTITY_MAP_ADDR");
        Check(Libc.Ioctl(Fd, KvmIoctls.CreateIrqchip, 0), "KVM_CREATE_IRQCHIP");
        // The speaker port (0x61) is answered by KVM too, so the guest's PIT calibration never exits.
        var pit = new KvmPitConfig { Flags = 1 /* KVM_PIT_SPEAKER_DUMMY */ };
        Check(Libc.Ioctl(Fd, KvmIoctls.CreatePit2, &pit), "KVM_CREATE_PIT2");
    }

    /// <summary>Drives a GSI (an ISA IRQ number below 16 reaches both the PIC and the I/O APIC).</summary>
    public void SetIrqLine(uint irq, bool level)
    {
        var line = new KvmIrqLevel { Irq = irq, Level = level ? 1u : 0u };
        Check(Libc.Ioctl(Fd, KvmIoctls.IrqLine, &line), "KVM_IRQ_LINE");
    }

    /// <summary>Creates vCPU <paramref name="id"/>. Call it on the thread that will run the vCPU.</summary>
    public Vcpu CreateVcpu(int id) => new(this, id);

    private static void Check(int result, string operation)
    {
        if (result < 0)
        {
            throw KvmException.FromErrno(operation);
        }
    }

    public void Dispose()
    {
        _handle.Dispose();
        Memory.Dispose();
    }
}
