using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu.Tests.Engine;

/// <summary>The decoded form stays 32 bytes (two per cache line), whatever fields it gains.</summary>
public sealed class DecodedInstructionLayoutTests
{
    [Fact]
    public void A_decoded_instruction_is_32_bytes() => Assert.Equal(32, Unsafe.SizeOf<DecodedInstruction>());
}
