using System.Runtime.CompilerServices;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>The 16 GPRs (RSP's slot unused) and RFLAGS, as the native wrapper loads and stores them.</summary>
public struct RegisterState
{
    public GeneralRegisters Registers;
    public ulong Rflags;

    public const int RflagsOffset = 16 * 8;

    [InlineArray(16)]
    public struct GeneralRegisters
    {
        private ulong _element;
    }

    public override readonly string ToString()
    {
        var names = Enum.GetNames<GeneralRegister>();
        var parts = new List<string>();
        for (int i = 0; i < 16; i++)
        {
            if (i != 4)
            {
                parts.Add($"{names[i].ToLowerInvariant()}={Registers[i]:x}");
            }
        }
        parts.Add($"rflags={Rflags:x}");
        return string.Join(' ', parts);
    }
}
