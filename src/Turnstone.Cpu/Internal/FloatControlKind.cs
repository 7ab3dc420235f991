namespace Turnstone.Cpu.Internal;

/// <summary>The x87/SSE control instructions of <see cref="Operation.FloatControl"/>, which the
/// interpreter runs itself (they move state the host thunks must never see: pending exceptions,
/// unmasked control words, whole images).</summary>
internal enum FloatControlKind : byte
{
    Fxsave, Fxsave64, Fxrstor, Fxrstor64,
    Ldmxcsr, Stmxcsr,
    Fninit, Fnclex, FnstswAx, FnstswMemory, Fnstcw, Fldcw, Fwait,
    /// <summary>The 28-byte x87 environment (32-bit format) and the 108-byte whole state.</summary>
    Fnstenv, Fldenv, Fnsave, Frstor,
    /// <summary>MASKMOVDQU: a byte-masked store to [RDI] (Reg: the data, Reg2: the mask).</summary>
    Maskmovdqu,
    /// <summary>Set on the forms with the FWAIT prefix folded in (FINIT, FCLEX, FSTSW, FSTCW), which
    /// first take a pending x87 exception.</summary>
    Waiting = 0x80,
}
