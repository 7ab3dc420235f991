namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>Which CR0/CR4 rules gate a host-run instruction (SDM Vol. 3 table 2-2 and 13-5).</summary>
[Flags]
internal enum HostInstructionClass : byte
{
    None = 0,
    /// <summary>Runs with the x87 image loaded (x87, MMX, or an SSE form with an MMX register).</summary>
    UsesX87State = 1,
    /// <summary>x87: CR0.EM or CR0.TS raise #NM.</summary>
    X87 = 2,
    /// <summary>MMX/SSE: CR0.EM raises #UD, CR0.TS #NM.</summary>
    Simd = 4,
    /// <summary>Needs CR4.OSFXSR (SSE/SSE2 with XMM state), else #UD.</summary>
    NeedsOsFxsr = 8,
    /// <summary>An x87 instruction that updates the last-instruction and last-operand pointers.</summary>
    UpdatesX87Pointers = 16,
}
