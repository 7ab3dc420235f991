using Iced.Intel;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>Iced decoding and formatting in the vCPU's current mode.</summary>
public static class InstructionDecoding
{
    public static int CodeBitness(in KvmSregs sregs) =>
        sregs.Cs.L != 0 ? 64 : sregs.Cs.Db != 0 ? 32 : 16;

    public static bool TryDecode(ReadOnlySpan<byte> bytes, ulong rip, in KvmSregs sregs, out Instruction instruction)
    {
        var decoder = Decoder.Create(CodeBitness(sregs), new ByteArrayCodeReader(bytes.ToArray()), rip);
        decoder.Decode(out instruction);
        return !instruction.IsInvalid && instruction.Length <= bytes.Length;
    }

    /// <summary>One instruction per line: address, bytes, Intel syntax; stops at the first that does not decode.</summary>
    public static string Disassemble(ReadOnlySpan<byte> bytes, ulong rip, int bitness, int maxInstructions = 4)
    {
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(bytes.ToArray()), rip);
        var formatter = new IntelFormatter();
        var output = new StringOutput();
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < maxInstructions && decoder.IP < rip + (ulong)bytes.Length; i++)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid)
            {
                text.AppendLine($"  {instruction.IP:x16}  (does not decode)");
                break;
            }
            formatter.Format(instruction, output);
            int start = (int)(instruction.IP - rip);
            text.AppendLine($"  {instruction.IP:x16}  {Convert.ToHexString(bytes.Slice(start, instruction.Length)).ToLowerInvariant(),-30} {output.ToStringAndReset()}");
        }
        return text.ToString();
    }
}
