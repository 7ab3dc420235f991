namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// The floating-point side of a differential case: an FXSAVE64 image (x87 registers and words,
/// MXCSR, XMM0-15), the general registers RAX, RBX, RCX, RDX, RSI, R8, R9, the arithmetic flags,
/// and 128 bytes of memory that RDI points at.
/// </summary>
public sealed class FloatState
{
    public const int ImageBytes = 512;
    public const int DataBytes = 128;
    public static readonly string[] GeneralNames = ["rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9"];

    public byte[] Image { get; } = new byte[ImageBytes];
    public ulong[] General { get; } = new ulong[7];
    public ulong Rflags { get; set; }
    public byte[] Data { get; } = new byte[DataBytes];

    public FloatState Clone()
    {
        var copy = new FloatState { Rflags = Rflags };
        Image.CopyTo(copy.Image, 0);
        General.CopyTo(copy.General, 0);
        Data.CopyTo(copy.Data, 0);
        return copy;
    }

    public uint Mxcsr => BitConverter.ToUInt32(Image, 24);

    /// <summary>The differences the SDM defines: control, status and tag words, ST0-7's 80 bits,
    /// MXCSR, XMM0-15, the general registers, the compared flags and memory. The last-instruction
    /// pointers and opcode are not compared (AMD hosts store them only with an exception pending).</summary>
    public static string? Difference(FloatState native, FloatState engine, ulong comparedFlags, (int Start, int End)[]? ignoredMemory = null)
    {
        var fields = new List<(string Name, int Offset, int Length)> { ("fcw", 0, 2), ("fsw", 2, 2), ("ftw", 4, 1), ("mxcsr", 24, 4) };
        for (int r = 0; r < 8; r++)
        {
            fields.Add(($"st{r}", 32 + 16 * r, 10));
        }
        for (int r = 0; r < 16; r++)
        {
            fields.Add(($"xmm{r}", 160 + 16 * r, 16));
        }
        foreach (var (name, offset, length) in fields)
        {
            if (!native.Image.AsSpan(offset, length).SequenceEqual(engine.Image.AsSpan(offset, length)))
            {
                return $"{name}: native {Hex(native.Image, offset, length)} engine {Hex(engine.Image, offset, length)}";
            }
        }
        for (int g = 0; g < native.General.Length; g++)
        {
            if (native.General[g] != engine.General[g])
            {
                return $"{GeneralNames[g]}: native {native.General[g]:x} engine {engine.General[g]:x}";
            }
        }
        if ((native.Rflags & comparedFlags) != (engine.Rflags & comparedFlags))
        {
            return $"rflags: native {native.Rflags & comparedFlags:x} engine {engine.Rflags & comparedFlags:x}";
        }
        var nativeData = native.Data.ToArray();
        var engineData = engine.Data.ToArray();
        foreach (var (start, end) in ignoredMemory ?? [])
        {
            nativeData.AsSpan(start, end - start).Clear();
            engineData.AsSpan(start, end - start).Clear();
        }
        if (!nativeData.AsSpan().SequenceEqual(engineData))
        {
            return $"memory: native {Convert.ToHexString(native.Data)} engine {Convert.ToHexString(engine.Data)}";
        }
        return null;
    }

    private static string Hex(byte[] bytes, int offset, int length) =>
        Convert.ToHexString(bytes.AsSpan(offset, length).ToArray().Reverse().ToArray());

    public override string ToString() =>
        $"fcw {BitConverter.ToUInt16(Image, 0):x4} fsw {BitConverter.ToUInt16(Image, 2):x4} ftw {Image[4]:x2} mxcsr {Mxcsr:x8}\n" +
        string.Join(" ", Enumerable.Range(0, 8).Select(r => $"st{r}={Hex(Image, 32 + 16 * r, 10)}")) + "\n" +
        string.Join(" ", Enumerable.Range(0, 4).Select(r => $"xmm{r}={Hex(Image, 160 + 16 * r, 16)}")) + "\n" +
        string.Join(" ", GeneralNames.Select((n, g) => $"{n}={General[g]:x}")) + $" rflags={Rflags:x}\n" +
        $"memory {Convert.ToHexString(Data)}";
}
