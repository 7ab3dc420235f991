namespace Turnstone.Cpu;

/// <summary>GDTR or IDTR: the linear base and the limit (the last valid byte offset).</summary>
public readonly record struct DescriptorTableRegister(ulong Base, ushort Limit);
