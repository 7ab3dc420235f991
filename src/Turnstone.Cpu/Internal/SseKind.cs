namespace Turnstone.Cpu.Internal;

/// <summary>The packed operations of <see cref="Operation.SsePacked"/> and <see cref="Operation.SseShiftImmediate"/>.</summary>
internal enum SseKind : byte
{
    Xor, Or, And, AndNot,
    AddBytes, AddWords, AddDwords, AddQwords,
    SubtractBytes, SubtractWords, SubtractDwords, SubtractQwords,
    CompareEqualBytes, CompareEqualWords, CompareEqualDwords,
    UnpackLowBytes, UnpackLowWords, UnpackLowDwords, UnpackLowQwords,
    UnpackHighBytes, UnpackHighWords, UnpackHighDwords, UnpackHighQwords,
    MinUnsignedBytes, MaxUnsignedBytes,
    ShiftLeftWords, ShiftLeftDwords, ShiftLeftQwords,
    ShiftRightWords, ShiftRightDwords, ShiftRightQwords,
    ShiftRightArithmeticWords, ShiftRightArithmeticDwords,
    ShiftLeftBytes, ShiftRightBytes,
}
