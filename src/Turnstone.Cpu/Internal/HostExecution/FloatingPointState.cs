using System.Runtime.InteropServices;
using static Turnstone.Cpu.Internal.HostExecution.FloatingPointStateLayout;

namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>
/// A vCPU's x87/MMX state (an FXSAVE64 image) and the scratch a host thunk uses, in one pinned,
/// 64-byte aligned block that lives as long as the CPU (pinned-object heap: nothing to free).
/// </summary>
internal sealed unsafe class FloatingPointState
{
    /// <summary>FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest.</summary>
    public const ushort InitialControlWord = 0x037F;

    private readonly byte[] _storage = GC.AllocateArray<byte>(Size + 64, pinned: true);

    public FloatingPointState()
    {
        fixed (byte* p = _storage)
        {
            Pointer = (byte*)(((nint)p + 63) & ~(nint)63);
        }
        Initialize();
    }

    /// <summary>The block's first byte, 64-byte aligned (FXRSTOR64 wants 16).</summary>
    public byte* Pointer { get; }

    public ref ushort ControlWord => ref *(ushort*)(Pointer + FloatingPointStateLayout.ControlWord);

    public ref ushort StatusWord => ref *(ushort*)(Pointer + FloatingPointStateLayout.StatusWord);

    public ref byte AbridgedTagWord => ref *(Pointer + FloatingPointStateLayout.AbridgedTagWord);

    public ref ushort Opcode => ref *(ushort*)(Pointer + FloatingPointStateLayout.Opcode);

    public ref ulong InstructionPointer => ref *(ulong*)(Pointer + FloatingPointStateLayout.InstructionPointer);

    public ref ulong DataPointer => ref *(ulong*)(Pointer + FloatingPointStateLayout.DataPointer);

    /// <summary>The x87 part of the image (control words, pointers, ST0-7 / MM0-7).</summary>
    public Span<byte> X87 => new(Pointer, X87Bytes);

    /// <summary>FNINIT: control word 0x37F, status and tags clear (every register empty), pointers zero.</summary>
    public void Initialize()
    {
        new Span<byte>(Pointer, Size).Clear();
        ControlWord = InitialControlWord;
    }
}
