using System.Text;
using Turnstone.Cpu;

namespace Turnstone.Machine.Engines;

/// <summary>What the monitor prints when a machine on the software engine stops: registers, system state, the code at RIP.</summary>
internal static class SoftwareVcpuStateReport
{
    private static readonly (string Name, GeneralRegister Register)[] Registers =
    [
        ("rax", GeneralRegister.Rax), ("rbx", GeneralRegister.Rbx), ("rcx", GeneralRegister.Rcx), ("rdx", GeneralRegister.Rdx),
        ("rsi", GeneralRegister.Rsi), ("rdi", GeneralRegister.Rdi), ("rsp", GeneralRegister.Rsp), ("rbp", GeneralRegister.Rbp),
        ("r8", GeneralRegister.R8), ("r9", GeneralRegister.R9), ("r10", GeneralRegister.R10), ("r11", GeneralRegister.R11),
        ("r12", GeneralRegister.R12), ("r13", GeneralRegister.R13), ("r14", GeneralRegister.R14), ("r15", GeneralRegister.R15),
    ];

    public static string Build(SoftwareCpu cpu, string reason)
    {
        var text = new StringBuilder();
        text.AppendLine($"vCPU 0 state (software engine, {cpu.InstructionsRetired} instructions retired): {reason}");
        for (int i = 0; i < Registers.Length; i++)
        {
            text.Append($"{Registers[i].Name,3}={cpu.GetRegister(Registers[i].Register):x16}{(i % 4 == 3 ? "\n" : "  ")}");
        }
        text.AppendLine($"rip={cpu.Rip:x16}  rflags={cpu.Rflags:x8}  cpl={cpu.Cpl}");
        foreach (var segment in new[] { SegmentName.Cs, SegmentName.Ss, SegmentName.Ds, SegmentName.Es, SegmentName.Fs, SegmentName.Gs })
        {
            var s = cpu.GetSegment(segment);
            text.Append($"{segment.ToString().ToLowerInvariant()}={s.Selector:x4} base {s.Base:x} limit {s.Limit:x} attributes {s.Attributes:x4}; ");
        }
        text.AppendLine();
        text.AppendLine($"cr0={cpu.Cr0:x}  cr2={cpu.Cr2:x}  cr3={cpu.Cr3:x}  cr4={cpu.Cr4:x}  efer={cpu.Efer:x}  " +
                        $"gdt={cpu.Gdtr.Base:x}/{cpu.Gdtr.Limit:x}  idt={cpu.Idtr.Base:x}/{cpu.Idtr.Limit:x}  tr={cpu.Tr.Selector:x}");
        var cs = cpu.GetSegment(SegmentName.Cs);
        ulong linear = cs.Long ? cpu.Rip : cs.Base + cpu.Rip;
        text.AppendLine($"code at {linear:x}: {cpu.DescribeInstructionAt(linear)}");
        return text.ToString();
    }
}
