namespace Turnstone.Engine;

/// <summary>Why <see cref="IEngineVcpu.Run"/> returned. A value type: the run loop allocates nothing.</summary>
public readonly record struct EngineExit(EngineExitKind Kind, ulong Address = 0, int Size = 0, bool IsWrite = false, string? Description = null)
{
    public ushort Port => (ushort)Address;
}
