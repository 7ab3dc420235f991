using System.Text;
using Turnstone.Engine;

namespace Turnstone.Components;

public enum ComponentFaultKind
{
    /// <summary>A CPU exception in the component (page fault, #GP, #UD, divide error...).</summary>
    Exception,
    /// <summary>A hypercall with a bad number, pointer, length or state.</summary>
    BadHypercall,
    /// <summary>I/O to a port other than the hypercall port, or another exit the ABI does not allow.</summary>
    ForbiddenInstruction,
    /// <summary>Initialisation or a call ran past its wall-clock budget.</summary>
    Timeout,
    /// <summary>A result or a print larger than the output limit.</summary>
    OutputLimitExceeded,
    /// <summary>The component called EXIT where a result was expected.</summary>
    Exited,
    /// <summary>The VM itself failed (KVM error, emulation failure).</summary>
    Internal,
}

/// <summary>
/// Why a component VM was stopped, with the machine state at that moment. The VM is gone once a
/// fault is reported; the host process and other components are unaffected.
/// </summary>
public sealed record ComponentFault(
    ComponentFaultKind Kind,
    string Message,
    ulong Rip,
    GeneralRegisters Registers,
    string Disassembly,
    int? Vector = null,
    ulong? ErrorCode = null,
    ulong? FaultAddress = null)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"{Kind}: {Message}\n");
        text.Append($"  at RIP 0x{Rip:x16}: {(Disassembly.Length > 0 ? Disassembly : "(no code there)")}\n");
        if (Vector is int vector)
        {
            text.Append($"  vector {vector}{(ErrorCode is ulong code ? $", error code 0x{code:x}" : "")}{(FaultAddress is ulong cr2 ? $", address 0x{cr2:x}" : "")}\n");
        }
        var r = Registers;
        text.Append($"  rax {r.Rax:x16} rbx {r.Rbx:x16} rcx {r.Rcx:x16} rdx {r.Rdx:x16}\n");
        text.Append($"  rsi {r.Rsi:x16} rdi {r.Rdi:x16} rbp {r.Rbp:x16} rsp {r.Rsp:x16}\n");
        text.Append($"  r8  {r.R8:x16} r9  {r.R9:x16} r10 {r.R10:x16} r11 {r.R11:x16}\n");
        text.Append($"  r12 {r.R12:x16} r13 {r.R13:x16} r14 {r.R14:x16} r15 {r.R15:x16}\n");
        text.Append($"  rflags {r.Rflags:x8}");
        return text.ToString();
    }
}

/// <summary>Thrown by a load or call whose component VM was stopped; <see cref="Fault"/> says why.</summary>
public sealed class ComponentFaultException(ComponentFault fault) : Exception($"component stopped: {fault.Kind}: {fault.Message}")
{
    public ComponentFault Fault { get; } = fault;
}

/// <summary>A call the component answered with an error code (TS_E*); the component stays usable.</summary>
public sealed class ComponentCallException(string function, long code)
    : Exception($"component function '{function}' failed with code {code}{ComponentErrors.Describe(code)}")
{
    public string Function { get; } = function;
    public long Code { get; } = code;
}
