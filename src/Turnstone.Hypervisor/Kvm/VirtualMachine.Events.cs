using System.Runtime.InteropServices;
using Turnstone.HostIo;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

// Notifications that bypass the monitor's vCPU thread: guest writes that KVM turns into eventfd
// signals (ioeventfd), and interrupts injected from any thread (MSI, irqfd). A virtio queue
// notification or completion interrupt then costs no exit to user space.
public sealed unsafe partial class VirtualMachine
{
    /// <summary>
    /// Makes a guest write of <paramref name="length"/> bytes to <paramref name="address"/> (an MMIO
    /// address, or a port with <paramref name="isPortIo"/>) signal <paramref name="fd"/> inside KVM
    /// instead of exiting to user space (KVM_IOEVENTFD). The write's data is dropped, so register
    /// only addresses whose writes mean "look at the queue", such as a virtio notify register.
    /// With <paramref name="dataMatch"/>, only writes of that value signal; others exit as usual.
    /// Reads of the address still exit. Dispose the registration to make writes exit again.
    /// </summary>
    /// <param name="length">1, 2, 4 or 8 to match writes of exactly that width; 0 to match any width.</param>
    public IoEventRegistration RegisterIoEvent(EventFd fd, ulong address, int length, bool isPortIo, ulong? dataMatch = null)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (length is not (0 or 1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "an ioeventfd matches writes of 1, 2, 4 or 8 bytes, or 0 for any width");
        }
        if (isPortIo && address > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address, "a port number is 16 bits");
        }
        if (dataMatch is { } value && (length == 0 || (length < 8 && value >> (length * 8) != 0)))
        {
            throw new ArgumentOutOfRangeException(nameof(dataMatch), value,
                $"a write of {length} bytes can never carry this value (a data match needs a fixed width that holds it)");
        }
        string what = $"KVM_IOEVENTFD at {(isPortIo ? "port" : "address")} 0x{address:x}";
        var leases = new FileDescriptorLeases();
        try
        {
            int vmFd = leases.Add(_handle.Lease());
            var request = new KvmIoEventFd
            {
                DataMatch = dataMatch ?? 0,
                Address = address,
                Length = (uint)length,
                Fd = leases.Add(fd.Lease()),
                Flags = (isPortIo ? KvmIoEventFdFlags.PortIo : 0) | (dataMatch.HasValue ? KvmIoEventFdFlags.DataMatch : 0),
            };
            if (Libc.Ioctl(vmFd, KvmIoctls.IoEventFd, &request) < 0)
            {
                throw Failure(what, KvmCapability.IoEventFd);
            }
            return new IoEventRegistration(leases, vmFd, request, what);
        }
        catch
        {
            leases.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a message-signalled interrupt to the in-kernel local APICs (KVM_SIGNAL_MSI), as a
    /// device's write of <paramref name="data"/> to <paramref name="address"/> would; needs
    /// <see cref="CreatePlatformInterruptControllers"/>. Safe from any thread, so a device worker can
    /// complete a request without involving a vCPU thread. The address and data are the guest's own
    /// (an MSI-X table entry) and are passed through: an interrupt the guest cannot receive is the
    /// guest's business, not an error of the monitor.
    /// </summary>
    /// <returns>True if a local APIC accepted the interrupt; false if the guest blocked it (its local
    /// APIC is software-disabled) or no vCPU matched the destination in <paramref name="address"/>.</returns>
    public bool SignalMsi(ulong address, uint data)
    {
        var msi = new KvmMsi { AddressLow = (uint)address, AddressHigh = (uint)(address >> 32), Data = data };
        using var vm = _handle.Lease();
        int delivered = Libc.Ioctl(vm.Fd, KvmIoctls.SignalMsi, &msi);
        if (delivered < 0)
        {
            // KVM returns a bare -1 (seen as EPERM) when no local APIC matched the destination.
            if (Marshal.GetLastPInvokeError() == Libc.EPERM)
            {
                return false;
            }
            throw Failure("KVM_SIGNAL_MSI", KvmCapability.SignalMsi);
        }
        return delivered > 0;
    }

    /// <summary>
    /// Makes a signal of <paramref name="fd"/>, from any thread or from KVM itself, raise interrupt
    /// line <paramref name="gsi"/> of the in-kernel interrupt controllers (KVM_IRQFD); needs
    /// <see cref="CreatePlatformInterruptControllers"/>. Without <paramref name="resampleFd"/> the
    /// line is pulsed (edge). With it the line stays raised (level) until the guest acknowledges
    /// the interrupt at the I/O APIC or PIC; KVM then lowers it and signals
    /// <paramref name="resampleFd"/>, so the device can raise it again if it still has work.
    /// </summary>
    public IrqFdRegistration RegisterIrqFd(EventFd fd, uint gsi, EventFd? resampleFd = null)
    {
        ArgumentNullException.ThrowIfNull(fd);
        string what = $"KVM_IRQFD for GSI {gsi}";
        var leases = new FileDescriptorLeases();
        try
        {
            int vmFd = leases.Add(_handle.Lease());
            var request = new KvmIrqFd { Fd = (uint)leases.Add(fd.Lease()), Gsi = gsi };
            if (resampleFd is not null)
            {
                request.Flags = KvmIrqFdFlags.Resample;
                request.ResampleFd = (uint)leases.Add(resampleFd.Lease());
            }
            if (Libc.Ioctl(vmFd, KvmIoctls.IrqFd, &request) < 0)
            {
                throw Failure(what, KvmCapability.IrqFd);
            }
            return new IrqFdRegistration(leases, vmFd, request, what);
        }
        catch
        {
            leases.Dispose();
            throw;
        }
    }

    /// <summary>The error of the ioctl that just failed or, if the host lacks the capability, that.</summary>
    private KvmException Failure(string operation, KvmCapability capability)
    {
        var failure = KvmException.FromErrno(operation);
        return System.HasCapability(capability)
            ? failure
            : new KvmException($"{operation} failed: the host's KVM lacks capability {capability}", failure.Errno);
    }
}
