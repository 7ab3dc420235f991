using System.Runtime.InteropServices;

namespace Turnstone.Engine;

/// <summary>
/// The general registers, RIP and RFLAGS. The layout is KVM's <c>struct kvm_regs</c> on purpose:
/// the KVM engine hands out its synced run-page copy as this type without copying a byte.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct GeneralRegisters
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;
}
