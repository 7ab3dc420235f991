using Iced.Intel;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// What the CPU tests' machines share: 16 MiB of RAM at 0, a software CPU on it (on the test run's
/// tier, <see cref="TestTier"/>), and the accessors the tests read and write guest memory with.
/// The subclasses lay out their tables and start the CPU in their mode.
/// </summary>
public abstract class TestMachine : IDisposable
{
    protected TestMachine(int tlbEntries = SoftwareCpu.DefaultTlbEntries)
    {
        Memory = GuestPhysicalMemory.Allocate((0, 16 << 20));
        Cpu = new SoftwareCpu(Memory, tlbEntries: tlbEntries) { CompileThreshold = TestTier.CompileThreshold, NativeCompileThreshold = TestTier.NativeCompileThreshold };
    }

    public GuestPhysicalMemory Memory { get; }
    public SoftwareCpu Cpu { get; }

    public void Assemble(ulong address, Assembler assembler)
    {
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), address);
        WriteBytes(address, stream.ToArray());
    }

    public void WriteBytes(ulong address, ReadOnlySpan<byte> bytes)
    {
        Assert.True(Memory.TryGetSpan(address, bytes.Length, out var span));
        bytes.CopyTo(span);
    }

    public void WriteUInt64(ulong address, ulong value) => WriteBytes(address, BitConverter.GetBytes(value));

    public void WriteUInt32(ulong address, uint value) => WriteBytes(address, BitConverter.GetBytes(value));

    public void WriteUInt16(ulong address, ushort value) => WriteBytes(address, BitConverter.GetBytes(value));

    public ulong ReadUInt64(ulong address)
    {
        Assert.True(Memory.TryGetSpan(address, 8, out var span));
        return BitConverter.ToUInt64(span);
    }

    public uint ReadUInt32(ulong address) => (uint)ReadUInt64(address);

    public ushort ReadUInt16(ulong address) => (ushort)ReadUInt64(address);

    public ulong Register(GeneralRegister register) => Cpu.GetRegister(register);

    public void Dispose() => Memory.Dispose();
}
