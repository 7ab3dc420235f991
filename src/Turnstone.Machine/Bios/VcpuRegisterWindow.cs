using Turnstone.Firmware.Bios;

namespace Turnstone.Machine.Bios;

/// <summary>
/// A vCPU's registers as a BIOS service sees them for one firmware-call exit. An engine whose
/// registers live elsewhere (KVM) reads them when the window opens and writes the changes back at
/// <see cref="Commit"/>; the software engine's window reads and writes its CPU directly.
/// </summary>
internal abstract class VcpuRegisterWindow : IRealModeRegisters
{
    public abstract uint Eax { get; set; }
    public abstract uint Ebx { get; set; }
    public abstract uint Ecx { get; set; }
    public abstract uint Edx { get; set; }
    public abstract uint Esi { get; set; }
    public abstract uint Edi { get; set; }
    public abstract uint Ebp { get; set; }
    public abstract uint Esp { get; set; }
    public abstract ushort Cs { get; }
    public abstract ushort Ip { get; }
    public abstract ushort Ds { get; set; }
    public abstract ushort Es { get; set; }
    public abstract ushort Ss { get; }
    public abstract uint Eflags { get; set; }

    /// <summary>Hands the changed registers to the vCPU (nothing to do where they were written in place).</summary>
    public virtual void Commit()
    {
    }

    /// <summary>The low 32 bits of <paramref name="register"/> replaced, the upper half kept (real-mode code may leave it set).</summary>
    protected static ulong WithLow32(ulong register, uint value) => (register & 0xFFFF_FFFF_0000_0000) | value;
}
