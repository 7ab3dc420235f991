namespace Turnstone.Machine.Bios;

/// <summary>
/// Registers for <see cref="BiosRehearsal"/>: plain fields a scripted call sets, standing in for a
/// vCPU's, so the rehearsal's calls reach the services through the same port and dispatcher code.
/// </summary>
internal sealed class RehearsalRegisters : VcpuRegisterWindow
{
    public override uint Eax { get; set; }
    public override uint Ebx { get; set; }
    public override uint Ecx { get; set; }
    public override uint Edx { get; set; }
    public override uint Esi { get; set; }
    public override uint Edi { get; set; }
    public override uint Ebp { get; set; }
    public override uint Esp { get; set; }
    public override ushort Cs => CodeSegment;
    public override ushort Ip => InstructionPointer;
    public override ushort Ds { get; set; }
    public override ushort Es { get; set; }
    public override ushort Ss => StackSegment;
    public override uint Eflags { get; set; }

    public ushort CodeSegment { get; set; }
    public ushort InstructionPointer { get; set; }
    public ushort StackSegment { get; set; }
}
