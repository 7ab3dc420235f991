namespace Turnstone.Cpu.Internal;

/// <summary>The eight classic ALU operations, in their x86 encoding order.</summary>
internal enum AluKind : byte
{
    Add, Or, Adc, Sbb, And, Sub, Xor, Cmp,
}
