using System.Runtime.InteropServices;
using Turnstone.HostIo;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// One virtual CPU. It is created on, and must only be run from, the thread that owns it; the
/// single exception is <see cref="Kick"/>, which any thread may call to make a running KVM_RUN
/// return promptly.
/// </summary>
public sealed unsafe class Vcpu : IDisposable
{
    private readonly FileDescriptor _handle;
    private readonly byte* _run;
    private readonly int _runSize;
    private readonly int _threadId;
    private readonly Lock _lifetime = new();
    private bool _disposed;
    private bool _registersSynced;

    internal Vcpu(VirtualMachine vm, int id)
    {
        Id = id;
        System = vm.System;
        int fd = Libc.Ioctl(vm.Fd, KvmIoctls.CreateVcpu, id);
        if (fd < 0)
        {
            throw KvmException.FromErrno($"KVM_CREATE_VCPU {id}");
        }
        _handle = new FileDescriptor(fd);
        _runSize = vm.System.VcpuMmapSize;
        nint run = Libc.Mmap(0, (nuint)_runSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (run == Libc.MAP_FAILED)
        {
            _handle.Dispose();
            throw KvmException.FromErrno("mmap of kvm_run");
        }
        _run = (byte*)run;
        _threadId = Libc.GetTid();
        VcpuKickSignal.EnsureInstalled();
    }

    public int Id { get; }

    private KvmSystem System { get; }

    internal int Fd => _handle.Fd;

    /// <summary>Enters the guest until the next exit that needs the monitor.</summary>
    public VcpuExit Run()
    {
        if (Libc.Ioctl(Fd, KvmIoctls.Run, 0) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EINTR or Libc.EAGAIN)
            {
                // Kicked: clear the request so the next Run enters the guest again.
                _run[KvmRunLayout.ImmediateExit] = 0;
                return new VcpuExit(VcpuExitReason.Interrupted);
            }
            throw new KvmException($"KVM_RUN failed: {Libc.ErrorText(errno)} (errno {errno})", errno);
        }
        return DecodeExit();
    }

    private VcpuExit DecodeExit()
    {
        var reason = (VcpuExitReason)ReadRun<uint>(KvmRunLayout.ExitReason);
        return reason switch
        {
            VcpuExitReason.Io => new VcpuExit(reason,
                IoIsWrite: _run[KvmRunLayout.IoDirection] == KvmRunLayout.IoDirectionOut, IoSize: _run[KvmRunLayout.IoSize],
                IoPort: ReadRun<ushort>(KvmRunLayout.IoPort), IoCount: ReadRun<uint>(KvmRunLayout.IoCount)),
            VcpuExitReason.Mmio => new VcpuExit(reason,
                MmioAddress: ReadRun<ulong>(KvmRunLayout.MmioPhysicalAddress),
                MmioLength: (byte)Math.Min(ReadRun<uint>(KvmRunLayout.MmioLength), KvmRunLayout.MmioMaxLength),
                MmioIsWrite: _run[KvmRunLayout.MmioIsWrite] != 0),
            VcpuExitReason.InternalError => new VcpuExit(reason, InternalError: (InternalErrorKind)ReadRun<uint>(KvmRunLayout.InternalSuberror)),
            VcpuExitReason.SystemEvent => new VcpuExit(reason, SystemEvent: (SystemEventKind)ReadRun<uint>(KvmRunLayout.SystemEventType)),
            VcpuExitReason.Debug => new VcpuExit(reason,
                DebugException: ReadRun<uint>(KvmRunLayout.DebugException), DebugPc: ReadRun<ulong>(KvmRunLayout.DebugPc)),
            VcpuExitReason.FailEntry => new VcpuExit(reason, HardwareEntryFailure: ReadRun<ulong>(KvmRunLayout.FailEntryHardwareReason)),
            _ => new VcpuExit(reason),
        };
    }

    private T ReadRun<T>(int offset) where T : unmanaged => *(T*)(_run + offset);

    /// <summary>The data of the current port I/O exit: bytes the guest wrote, or where to put what it reads.</summary>
    public Span<byte> IoData
    {
        get
        {
            int length = _run[KvmRunLayout.IoSize] * (int)ReadRun<uint>(KvmRunLayout.IoCount);
            ulong offset = ReadRun<ulong>(KvmRunLayout.IoDataOffset);
            if (offset > (ulong)_runSize || (ulong)length > (ulong)_runSize - offset)
            {
                throw new KvmException("KVM reported port I/O data outside the kvm_run page");
            }
            return new Span<byte>(_run + offset, length);
        }
    }

    /// <summary>The data of the current MMIO exit.</summary>
    public Span<byte> MmioData =>
        new(_run + KvmRunLayout.MmioData, Math.Min((int)ReadRun<uint>(KvmRunLayout.MmioLength), KvmRunLayout.MmioMaxLength));

    /// <summary>The instruction bytes KVM's emulator reported with an emulation failure (may be empty).</summary>
    public ReadOnlySpan<byte> EmulationFailureBytes
    {
        get
        {
            uint ndata = ReadRun<uint>(KvmRunLayout.InternalDataCount);
            ulong flags = ReadRun<ulong>(KvmRunLayout.EmulationFailureFlags);
            // The flags word and the size/bytes after it count as data words: fewer than 2, no bytes.
            if (ndata < 2 || (flags & KvmRunLayout.EmulationFailureHasInstructionBytes) == 0)
            {
                return [];
            }
            return new ReadOnlySpan<byte>(_run + KvmRunLayout.EmulationFailureInstructionBytes,
                Math.Min((int)_run[KvmRunLayout.EmulationFailureInstructionSize], KvmRunLayout.EmulationFailureMaxInstructionBytes));
        }
    }

    /// <summary>The raw internal-error data words, for reports.</summary>
    public ulong[] InternalErrorData()
    {
        uint ndata = Math.Min(ReadRun<uint>(KvmRunLayout.InternalDataCount), (uint)KvmRunLayout.InternalMaxDataCount);
        var data = new ulong[ndata];
        for (int i = 0; i < ndata; i++)
        {
            data[i] = ReadRun<ulong>(KvmRunLayout.InternalData + i * sizeof(ulong));
        }
        return data;
    }

    /// <summary>
    /// Makes a running (or the next) KVM_RUN return with <see cref="VcpuExitReason.Interrupted"/>.
    /// Safe from any thread: sets kvm_run.immediate_exit and signals the vCPU thread.
    /// </summary>
    public void Kick()
    {
        lock (_lifetime)
        {
            if (_disposed)
            {
                return;
            }
            Volatile.Write(ref _run[KvmRunLayout.ImmediateExit], 1);
            VcpuKickSignal.Send(_threadId);
        }
    }

    public KvmRegs GetRegisters() => Get<KvmRegs>(KvmIoctls.GetRegs, "KVM_GET_REGS");

    /// <summary>
    /// Asks KVM to copy the general registers into the run page on every exit (KVM_CAP_SYNC_REGS),
    /// so <see cref="SyncedRegisters"/> reads and writes them without the two ioctls of
    /// <see cref="GetRegisters"/>/<see cref="SetRegisters"/>: a hypercall exit then costs no extra system call.
    /// </summary>
    public void EnableRegisterSync()
    {
        if ((System.CheckExtension(KvmCapability.SyncRegs) & (int)KvmRunLayout.SyncX86Regs) == 0)
        {
            throw new KvmException("KVM_CAP_SYNC_REGS does not cover the general registers on this host");
        }
        *(ulong*)(_run + KvmRunLayout.ValidRegs) = KvmRunLayout.SyncX86Regs;
        _registersSynced = true;
    }

    /// <summary>
    /// The general registers as of the last exit, in the run page (see <see cref="EnableRegisterSync"/>).
    /// Changes reach the guest only after <see cref="MarkSyncedRegistersDirty"/>.
    /// </summary>
    public ref KvmRegs SyncedRegisters
    {
        get
        {
            if (!_registersSynced)
            {
                throw new InvalidOperationException("register sync is not enabled on this vCPU");
            }
            return ref *(KvmRegs*)(_run + KvmRunLayout.SyncRegs);
        }
    }

    /// <summary>Makes the next entry load <see cref="SyncedRegisters"/> into the vCPU.</summary>
    public void MarkSyncedRegistersDirty() => *(ulong*)(_run + KvmRunLayout.DirtyRegs) = KvmRunLayout.SyncX86Regs;

    public void SetRegisters(in KvmRegs regs) => Set(KvmIoctls.SetRegs, regs, "KVM_SET_REGS");

    public KvmSregs GetSpecialRegisters() => Get<KvmSregs>(KvmIoctls.GetSregs, "KVM_GET_SREGS");

    public void SetSpecialRegisters(in KvmSregs sregs) => Set(KvmIoctls.SetSregs, sregs, "KVM_SET_SREGS");

    public KvmFpu GetFpu() => Get<KvmFpu>(KvmIoctls.GetFpu, "KVM_GET_FPU");

    public void SetFpu(in KvmFpu fpu) => Set(KvmIoctls.SetFpu, fpu, "KVM_SET_FPU");

    public void GetXsave(out KvmXsave xsave) => xsave = Get<KvmXsave>(KvmIoctls.GetXsave, "KVM_GET_XSAVE");

    public void SetXsave(in KvmXsave xsave) => Set(KvmIoctls.SetXsave, xsave, "KVM_SET_XSAVE");

    public KvmVcpuEvents GetEvents() => Get<KvmVcpuEvents>(KvmIoctls.GetVcpuEvents, "KVM_GET_VCPU_EVENTS");

    public void SetEvents(in KvmVcpuEvents events) => Set(KvmIoctls.SetVcpuEvents, events, "KVM_SET_VCPU_EVENTS");

    private T Get<T>(nuint request, string operation) where T : unmanaged
    {
        T value;
        Check(Libc.Ioctl(Fd, request, &value), operation);
        return value;
    }

    private void Set<T>(nuint request, in T value, string operation) where T : unmanaged
    {
        fixed (T* pointer = &value)
        {
            Check(Libc.Ioctl(Fd, request, pointer), operation);
        }
    }

    /// <summary>XCR0, the guest's enabled XSAVE feature mask.</summary>
    public ulong GetXcr0()
    {
        KvmXcrs xcrs;
        Check(Libc.Ioctl(Fd, KvmIoctls.GetXcrs, &xcrs), "KVM_GET_XCRS");
        for (int i = 0; i < xcrs.Count && i < 16; i++)
        {
            if ((uint)xcrs.Xcrs[i * 2] == 0)
            {
                return xcrs.Xcrs[i * 2 + 1];
            }
        }
        return 1; // x87 only: what XCR0 holds at reset
    }

    /// <summary>Queues an exception for delivery on the next entry (KVM_SET_VCPU_EVENTS).</summary>
    public void InjectException(byte vector, uint? errorCode = null)
    {
        var events = GetEvents();
        events.ExceptionInjected = 1;
        events.ExceptionNr = vector;
        events.ExceptionHasErrorCode = errorCode.HasValue ? (byte)1 : (byte)0;
        events.ExceptionErrorCode = errorCode ?? 0;
        events.Flags = 0;
        SetEvents(events);
    }

    public void SetCpuid(ReadOnlySpan<KvmCpuidEntry2> entries)
    {
        int size = sizeof(KvmCpuid2Header) + entries.Length * sizeof(KvmCpuidEntry2);
        byte* buffer = stackalloc byte[size];
        ((KvmCpuid2Header*)buffer)->Count = (uint)entries.Length;
        ((KvmCpuid2Header*)buffer)->Padding = 0;
        entries.CopyTo(new Span<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2Header), entries.Length));
        Check(Libc.Ioctl(Fd, KvmIoctls.SetCpuid2, buffer), "KVM_SET_CPUID2");
    }

    public void SetMsrs(ReadOnlySpan<(uint Index, ulong Value)> msrs)
    {
        int size = sizeof(KvmMsrsHeader) + msrs.Length * sizeof(KvmMsrEntry);
        byte* buffer = stackalloc byte[size];
        ((KvmMsrsHeader*)buffer)->Count = (uint)msrs.Length;
        ((KvmMsrsHeader*)buffer)->Padding = 0;
        var entries = new Span<KvmMsrEntry>(buffer + sizeof(KvmMsrsHeader), msrs.Length);
        for (int i = 0; i < msrs.Length; i++)
        {
            entries[i] = new KvmMsrEntry { Index = msrs[i].Index, Data = msrs[i].Value };
        }
        int written = Libc.Ioctl(Fd, KvmIoctls.SetMsrs, buffer);
        if (written != msrs.Length)
        {
            string which = written >= 0 && written < msrs.Length ? $" (MSR 0x{msrs[written].Index:x} refused)" : "";
            throw new KvmException($"KVM_SET_MSRS set {written} of {msrs.Length} MSRs{which}");
        }
    }

    public ulong GetMsr(uint index)
    {
        int size = sizeof(KvmMsrsHeader) + sizeof(KvmMsrEntry);
        byte* buffer = stackalloc byte[size];
        ((KvmMsrsHeader*)buffer)->Count = 1;
        ((KvmMsrsHeader*)buffer)->Padding = 0;
        var entry = (KvmMsrEntry*)(buffer + sizeof(KvmMsrsHeader));
        *entry = new KvmMsrEntry { Index = index };
        if (Libc.Ioctl(Fd, KvmIoctls.GetMsrs, buffer) != 1)
        {
            throw new KvmException($"KVM_GET_MSRS could not read MSR 0x{index:x}");
        }
        return entry->Data;
    }

    /// <summary>
    /// Sets up to four hardware execution breakpoints (KVM_SET_GUEST_DEBUG with DR0-DR3); an empty
    /// list turns guest debugging off. A hit exits with <see cref="VcpuExitReason.Debug"/>.
    /// </summary>
    public void SetHardwareBreakpoints(ReadOnlySpan<ulong> addresses)
    {
        if (addresses.Length > 4)
        {
            throw new ArgumentException("x86 has four hardware breakpoints", nameof(addresses));
        }
        const uint KVM_GUESTDBG_ENABLE = 1, KVM_GUESTDBG_USE_HW_BP = 0x20000;
        var debug = new KvmGuestDebug { Control = addresses.IsEmpty ? 0 : KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP };
        ulong dr7 = addresses.IsEmpty ? 0 : 0x400ul; // bit 10 is reserved-as-one
        for (int i = 0; i < addresses.Length; i++)
        {
            debug.DebugReg[i] = addresses[i];
            dr7 |= 3ul << (i * 2); // local+global enable; R/W=00 (execute), LEN=00
        }
        debug.DebugReg[7] = dr7;
        Check(Libc.Ioctl(Fd, KvmIoctls.SetGuestDebug, &debug), "KVM_SET_GUEST_DEBUG");
    }

    private static void Check(int result, string operation)
    {
        if (result < 0)
        {
            throw KvmException.FromErrno(operation);
        }
    }

    public void Dispose()
    {
        lock (_lifetime)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Libc.Munmap((nint)_run, (nuint)_runSize);
            _handle.Dispose();
        }
    }
}
