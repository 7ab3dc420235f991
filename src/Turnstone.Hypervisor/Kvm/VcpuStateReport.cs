using System.Text;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>The report printed when a vCPU stops on something the monitor cannot handle.</summary>
public static class VcpuStateReport
{
    public static string Build(Vcpu vcpu, IGuestMemory memory, string reason, VcpuExit exit)
    {
        var text = new StringBuilder();
        text.AppendLine($"vCPU {vcpu.Id} stopped: {reason}");
        text.AppendLine($"exit: {exit}");
        if (exit.Reason == VcpuExitReason.InternalError)
        {
            text.AppendLine($"internal error data: {string.Join(' ', vcpu.InternalErrorData().Select(d => $"0x{d:x}"))}");
        }
        try
        {
            var regs = vcpu.GetRegisters();
            var sregs = vcpu.GetSpecialRegisters();
            AppendRegisters(text, regs, sregs);
            var virtualMemory = new GuestVirtualMemory(memory, new PagingMode(sregs.Cr0, sregs.Cr3, sregs.Cr4, sregs.Efer));
            Span<byte> code = stackalloc byte[32];
            int length = code.Length;
            while (length > 0 && !virtualMemory.TryRead(regs.Rip, code[..length], out _))
            {
                length--;
            }
            text.AppendLine(length == 0
                ? $"code at RIP: not mapped in guest memory"
                : "code at RIP:\n" + InstructionDecoding.Disassemble(code[..length], regs.Rip, InstructionDecoding.CodeBitness(sregs)));
        }
        catch (KvmException e)
        {
            text.AppendLine($"(registers unavailable: {e.Message})");
        }
        return text.ToString().TrimEnd();
    }

    public static void AppendRegisters(StringBuilder text, in KvmRegs r, in KvmSregs s)
    {
        text.AppendLine($"rip {r.Rip:x16} rflags {r.Rflags:x8} cpl {s.Cs.Dpl} cs {s.Cs.Selector:x4} ss {s.Ss.Selector:x4}");
        text.AppendLine($"rax {r.Rax:x16} rbx {r.Rbx:x16} rcx {r.Rcx:x16} rdx {r.Rdx:x16}");
        text.AppendLine($"rsi {r.Rsi:x16} rdi {r.Rdi:x16} rsp {r.Rsp:x16} rbp {r.Rbp:x16}");
        text.AppendLine($"r8  {r.R8:x16} r9  {r.R9:x16} r10 {r.R10:x16} r11 {r.R11:x16}");
        text.AppendLine($"r12 {r.R12:x16} r13 {r.R13:x16} r14 {r.R14:x16} r15 {r.R15:x16}");
        text.AppendLine($"cr0 {s.Cr0:x8} cr2 {s.Cr2:x16} cr3 {s.Cr3:x16} cr4 {s.Cr4:x8} efer {s.Efer:x}");
    }
}
