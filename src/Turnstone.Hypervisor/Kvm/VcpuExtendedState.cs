using System.Runtime.InteropServices;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>The emulator's view of a real vCPU's XSAVE state (KVM_GET/SET_XSAVE, KVM_GET_XCRS).</summary>
internal sealed class VcpuExtendedState(Vcpu vcpu) : IExtendedState
{
    public Vcpu Vcpu => vcpu;

    public ulong Xcr0 => vcpu.GetXcr0();

    public void ReadXsaveImage(Span<byte> image)
    {
        vcpu.GetXsave(out var xsave);
        MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref xsave, 1))[..image.Length].CopyTo(image);
    }

    public void WriteXsaveImage(ReadOnlySpan<byte> image)
    {
        var xsave = default(KvmXsave);
        image.CopyTo(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref xsave, 1)));
        vcpu.SetXsave(xsave);
    }
}
