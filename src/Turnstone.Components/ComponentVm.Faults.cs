using Turnstone.GuestMemory;

namespace Turnstone.Components;

internal sealed partial class ComponentVm
{
    private static readonly string[] VectorNames =
    [
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range", "#UD invalid opcode",
        "#NM device not available", "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
        "#SS stack fault", "#GP general protection (privileged instruction or bad selector)", "#PF page fault", "vector 15",
        "#MF x87 floating-point error", "#AC alignment check", "#MC machine check", "#XM SIMD floating-point error",
        "#VE virtualization exception", "#CP control protection",
    ];

    /// <summary>
    /// A CPU exception in the component, reported by shim stub <paramref name="vector"/>. The frame
    /// the CPU pushed on the shim stack holds the component's RIP, RFLAGS and RSP; every other
    /// register is as the component left it, because the stub changes none.
    /// </summary>
    private ComponentFaultException ExceptionFault(int vector)
    {
        var registers = _machine.Vcpu.Registers;
        bool hasErrorCode = ComponentShim.HasErrorCode(vector);
        ulong frame = registers.Rsp;
        int frameWords = hasErrorCode ? 6 : 5;
        if (frame < ComponentLayout.ShimStackBottom || frame > ComponentLayout.ShimStackTop - (ulong)frameWords * 8) // no wrap-around
        {
            return Stop(ComponentFaultKind.Exception, $"{Name(vector)} with the shim stack pointer at 0x{frame:x}", registers, vector);
        }
        ulong? errorCode = null;
        if (hasErrorCode)
        {
            errorCode = Memory.ReadUInt64(frame);
            frame += 8;
        }
        registers.Rip = Memory.ReadUInt64(frame);
        registers.Rflags = Memory.ReadUInt64(frame + 16);
        registers.Rsp = Memory.ReadUInt64(frame + 24);
        ulong? address = vector == 14 ? _machine.Vcpu.Cr2 : null;
        string detail = vector == 14 && errorCode is ulong code
            ? $" {((code & 2) != 0 ? "writing" : (code & 16) != 0 ? "executing" : "reading")} 0x{address:x} ({((code & 1) != 0 ? "protection violation" : "not mapped")})"
            : "";
        return Stop(ComponentFaultKind.Exception, $"{Name(vector)}{detail}", registers, vector, errorCode, address);
    }

    private static string Name(int vector) => vector < VectorNames.Length ? VectorNames[vector] : $"vector {vector}";
}
