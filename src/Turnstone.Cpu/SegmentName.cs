namespace Turnstone.Cpu;

/// <summary>The six segment registers, numbered as the instruction encoding numbers them.</summary>
public enum SegmentName
{
    Es, Cs, Ss, Ds, Fs, Gs,
}
