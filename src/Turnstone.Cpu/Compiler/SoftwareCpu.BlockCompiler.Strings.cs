using System.Reflection;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // MOVS, STOS and LODS without a REP prefix in emitted code: one iteration of the interpreter's
    // own MoveOnce/StoreOnce/LoadOnce (segments, address size and DF as there), with only the
    // registers it uses handed over in the register array. Byte-copy loops such as GRUB's
    // `cmp ecx, edi; je; movsb; jmp` then run as one compiled loop. Repeated forms stay with the
    // interpreter, which runs them in chunks.
    private sealed partial class BlockCompiler
    {
        private const int Accumulator = 0, SourceIndex = 6, DestinationIndex = 7;

        private static readonly MethodInfo MoveOnceMethod = StringIteration(nameof(MoveOnce));
        private static readonly MethodInfo StoreOnceMethod = StringIteration(nameof(StoreOnce));
        private static readonly MethodInfo LoadOnceMethod = StringIteration(nameof(LoadOnce));

        private static MethodInfo StringIteration(string name) =>
            typeof(SoftwareCpu).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static, [typeof(SoftwareCpu), typeof(DecodedInstruction).MakeByRefType()])
            ?? throw new MissingMethodException(nameof(SoftwareCpu), name);

        private static bool IsSingleString(ref DecodedInstruction i) =>
            i.Op is Operation.Movs or Operation.Stos or Operation.Lods && (i.Flags & (OperandFlags.Rep | OperandFlags.Repne)) == 0;

        private void EmitStringOnce(ref DecodedInstruction i, int index)
        {
            (MethodInfo iteration, int[] registers, bool stores) = i.Op switch
            {
                Operation.Movs => (MoveOnceMethod, new[] { SourceIndex, DestinationIndex }, true),
                Operation.Stos => (StoreOnceMethod, new[] { Accumulator, DestinationIndex }, true),
                _ => (LoadOnceMethod, new[] { Accumulator, SourceIndex }, false),
            };
            EmitDirectHandler(index, iteration, registers, registers, storesMemory: stores, usesFlags: false);
        }
    }
}
