using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Bios;

/// <summary>
/// A KVM vCPU's registers for one firmware call: KVM_GET_REGS/KVM_GET_SREGS when the window opens
/// (<see cref="TryOpen"/>, which declines outside real mode), KVM_SET_REGS (and KVM_SET_SREGS when a
/// segment changed) at <see cref="Commit"/>. After an OUT exit KVM has already completed the OUT,
/// so the registers written here are what the guest resumes with.
/// </summary>
internal sealed class KvmRealModeRegisters(Vcpu vcpu) : VcpuRegisterWindow
{
    private KvmRegs _regs;
    private KvmSregs _sregs;
    private bool _segmentsChanged;

    /// <summary>Reads the vCPU's registers; false when it is not in real mode (CR0.PE set).</summary>
    public bool TryOpen()
    {
        _sregs = vcpu.GetSpecialRegisters();
        if ((_sregs.Cr0 & 1) != 0)
        {
            return false;
        }
        _regs = vcpu.GetRegisters();
        _segmentsChanged = false;
        return true;
    }

    public override uint Eax { get => (uint)_regs.Rax; set => _regs.Rax = WithLow32(_regs.Rax, value); }
    public override uint Ebx { get => (uint)_regs.Rbx; set => _regs.Rbx = WithLow32(_regs.Rbx, value); }
    public override uint Ecx { get => (uint)_regs.Rcx; set => _regs.Rcx = WithLow32(_regs.Rcx, value); }
    public override uint Edx { get => (uint)_regs.Rdx; set => _regs.Rdx = WithLow32(_regs.Rdx, value); }
    public override uint Esi { get => (uint)_regs.Rsi; set => _regs.Rsi = WithLow32(_regs.Rsi, value); }
    public override uint Edi { get => (uint)_regs.Rdi; set => _regs.Rdi = WithLow32(_regs.Rdi, value); }
    public override uint Ebp { get => (uint)_regs.Rbp; set => _regs.Rbp = WithLow32(_regs.Rbp, value); }
    public override uint Esp { get => (uint)_regs.Rsp; set => _regs.Rsp = WithLow32(_regs.Rsp, value); }

    public override ushort Cs => _sregs.Cs.Selector;
    public override ushort Ip => (ushort)_regs.Rip;

    public override ushort Ds
    {
        get => _sregs.Ds.Selector;
        set
        {
            _sregs.Ds = _sregs.Ds with { Selector = value, Base = (ulong)value << 4 };
            _segmentsChanged = true;
        }
    }

    public override ushort Es
    {
        get => _sregs.Es.Selector;
        set
        {
            _sregs.Es = _sregs.Es with { Selector = value, Base = (ulong)value << 4 };
            _segmentsChanged = true;
        }
    }

    public override ushort Ss => _sregs.Ss.Selector;

    public override uint Eflags { get => (uint)_regs.Rflags; set => _regs.Rflags = WithLow32(_regs.Rflags, value); }

    public override void Commit()
    {
        if (_segmentsChanged)
        {
            vcpu.SetSpecialRegisters(_sregs);
        }
        vcpu.SetRegisters(_regs);
    }
}
