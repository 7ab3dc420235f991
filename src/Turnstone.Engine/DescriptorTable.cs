namespace Turnstone.Engine;

/// <summary>GDTR or IDTR.</summary>
public readonly record struct DescriptorTable(ulong Base, ushort Limit);
