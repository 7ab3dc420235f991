namespace Turnstone.Cpu.Internal;

/// <summary>
/// How the arithmetic flags are to be computed from the last flag-setting operation's operands
/// and result (lazy flags). <see cref="Materialized"/>: they sit in RFLAGS already.
/// </summary>
internal enum FlagOperation : byte
{
    Materialized,
    /// <summary>add, adc and inc-like sums: flags from dst, src and the result.</summary>
    Add,
    /// <summary>sub/cmp/neg: the result is dst - src exactly, so conditions can compare operands.</summary>
    Sub,
    /// <summary>sbb: like sub but with a borrow in, flags from the formulas only.</summary>
    SubWithBorrow,
    /// <summary>and, or, xor, test: CF = OF = AF = 0.</summary>
    Logic,
    /// <summary>inc: as Add with src = 1, CF preserved from before.</summary>
    Increment,
    /// <summary>dec: as Sub with src = 1, CF preserved from before.</summary>
    Decrement,
    /// <summary>SHL/SHR/SAR/SHLD/SHRD: CF and OF computed at the shift and kept in the destination
    /// slot (bits 0 and 11), SF/ZF/PF from the result, AF 0.</summary>
    Shifted,
}
