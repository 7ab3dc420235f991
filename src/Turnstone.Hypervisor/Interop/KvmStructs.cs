using System.Runtime.InteropServices;

namespace Turnstone.Hypervisor.Interop;

// Mirrors of the x86-64 structures in linux/kvm.h and asm/kvm.h. Field order and sizes are the
// kernel ABI; KvmStructSizeTests pins every size to the value the kernel headers give.
#pragma warning disable CS0649 // fields are written by the kernel through pointers

[StructLayout(LayoutKind.Sequential)]
internal struct KvmUserspaceMemoryRegion
{
    public uint Slot;
    public uint Flags;
    public ulong GuestPhysAddr;
    public ulong MemorySize;
    public ulong UserspaceAddr;
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmDirtyLog
{
    public uint Slot;
    public uint Padding;
    public ulong DirtyBitmap; // user pointer: one bit per page of the slot, 64-bit aligned
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmClearDirtyLog
{
    public uint Slot;
    public uint NumPages;
    public ulong FirstPage;
    public ulong DirtyBitmap; // user pointer: bit 0 is FirstPage
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmEnableCap
{
    public uint Cap;
    public uint Flags;
    public fixed ulong Args[4];
    public fixed byte Padding[64];
}

[StructLayout(LayoutKind.Sequential)]
public struct KvmRegs
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;
}

[StructLayout(LayoutKind.Sequential)]
public struct KvmSegment
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type;
    public byte Present, Dpl, Db, S, L, G, Avl;
    public byte Unusable;
    public byte Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct KvmDtable
{
    public ulong Base;
    public ushort Limit;
    public ushort Padding0, Padding1, Padding2;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmSregs
{
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8;
    public ulong Efer;
    public ulong ApicBase;
    public fixed ulong InterruptBitmap[4];
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmIrqLevel
{
    public uint Irq;
    public uint Level;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmIoEventFd
{
    public ulong DataMatch;
    public ulong Address;
    public uint Length; // 1, 2, 4 or 8; 0 matches a write of any width
    public int Fd;
    public KvmIoEventFdFlags Flags;
    public fixed byte Padding[36];
}

[Flags]
internal enum KvmIoEventFdFlags : uint
{
    DataMatch = 1 << 0,
    PortIo = 1 << 1,
    Deassign = 1 << 2,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmMsi
{
    public uint AddressLow;
    public uint AddressHigh;
    public uint Data;
    public uint Flags;
    public uint DeviceId; // only with KVM_MSI_VALID_DEVID, which x86 does not use
    public fixed byte Padding[12];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmIrqFd
{
    public uint Fd;
    public uint Gsi;
    public KvmIrqFdFlags Flags;
    public uint ResampleFd;
    public fixed byte Padding[16];
}

[Flags]
internal enum KvmIrqFdFlags : uint
{
    Deassign = 1 << 0,
    Resample = 1 << 1,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmPitConfig
{
    public uint Flags;
    public fixed uint Padding[15];
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmCpuid2Header
{
    public uint Count;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct KvmCpuidEntry2
{
    public uint Function;
    public uint Index;
    public uint Flags;
    public uint Eax, Ebx, Ecx, Edx;
    public uint Padding0, Padding1, Padding2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmMsrsHeader
{
    public uint Count;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmMsrEntry
{
    public uint Index;
    public uint Reserved;
    public ulong Data;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmFpu
{
    public fixed byte Fpr[128];
    public ushort Fcw;
    public ushort Fsw;
    public byte Ftwx;
    public byte Pad1;
    public ushort LastOpcode;
    public ulong LastIp;
    public ulong LastDp;
    public fixed byte Xmm[256];
    public uint Mxcsr;
    public uint Pad2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmGuestDebug
{
    public uint Control;
    public uint Pad;
    public fixed ulong DebugReg[8];
}

[StructLayout(LayoutKind.Sequential)]
public struct KvmVcpuEvents
{
    // exception
    public byte ExceptionInjected, ExceptionNr, ExceptionHasErrorCode, ExceptionPending;
    public uint ExceptionErrorCode;
    // interrupt
    public byte InterruptInjected, InterruptNr, InterruptSoft, InterruptShadow;
    // nmi
    public byte NmiInjected, NmiPending, NmiMasked, NmiPad;
    public uint SipiVector;
    public uint Flags;
    // smi
    public byte SmiSmm, SmiPending, SmiInsideNmi, SmiLatchedInit;
    public Reserved27 Reserved;
    public byte ExceptionHasPayload;
    public ulong ExceptionPayload;

    [System.Runtime.CompilerServices.InlineArray(27)]
    public struct Reserved27 { private byte _element; }
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmXsave
{
    public fixed uint Region[1024];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmXcrs
{
    public uint Count;
    public uint Flags;
    public fixed ulong Xcrs[32]; // 16 x { u32 xcr; u32 reserved; u64 value; }
    public fixed ulong Padding[16];
}

#pragma warning restore CS0649
