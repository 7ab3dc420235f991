namespace Turnstone.Cpu.Internal;

/// <summary>The shift and rotate group, in its x86 encoding order (/0 to /7; /6 is SAL, an alias of SHL).</summary>
internal enum ShiftKind : byte
{
    Rol, Ror, Rcl, Rcr, Shl, Shr, Sal, Sar,
}
