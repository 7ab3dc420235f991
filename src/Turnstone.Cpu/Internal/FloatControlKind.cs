namespace Turnstone.Cpu.Internal;

/// <summary>The x87/SSE control instructions of <see cref="Operation.FloatControl"/>, which the
/// interpreter runs itself (they move state the host thunks must never see: pending exceptions,
/// unmasked control words, whole images).</summary>
internal enum FloatControlKind : byte
{
    Fxsave, Fxsave64, Fxrstor, Fxrstor64,
    Ldmxcsr, Stmxcsr,
    Fninit, Fnclex, FnstswAx, FnstswMemory, Fnstcw, Fldcw, Fwait,
    /// <summary>Set on the forms with the FWAIT prefix folded in (FINIT, FCLEX, FSTSW, FSTCW), which
    /// first take a pending x87 exception.</summary>
    Waiting = 0x80,
}
