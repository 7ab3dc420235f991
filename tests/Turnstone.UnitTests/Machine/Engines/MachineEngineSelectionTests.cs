using Turnstone.Engine;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine.Engines;

namespace Turnstone.UnitTests.Machine.Engines;

/// <summary>The machine's engine rule: components' auto rule, for Linux too now that the software engine has interrupt controllers.</summary>
public sealed class MachineEngineSelectionTests
{
    private static readonly Func<KvmAvailability> NoKvm = () => KvmAvailability.Unusable("/dev/kvm does not exist");
    private static readonly Func<KvmAvailability> Kvm = () => KvmAvailability.Usable;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Auto_takes_KVM_when_it_can_be_opened(bool linux)
    {
        var (engine, reason) = MachineEngineSelection.Resolve(EngineChoice.Auto, linux, Kvm, kvmEmulatesGuestKernelCode: () => false);

        Assert.Equal(EngineKind.Kvm, engine);
        Assert.Equal("auto: /dev/kvm is usable", reason);
    }

    [Fact]
    public void Auto_without_KVM_runs_a_freestanding_guest_on_the_software_engine_and_says_why()
    {
        var (engine, reason) = MachineEngineSelection.Resolve(EngineChoice.Auto, guestIsLinux: false, NoKvm);

        Assert.Equal(EngineKind.Software, engine);
        Assert.Equal("auto: KVM is unusable (/dev/kvm does not exist)", reason);
    }

    [Fact]
    public void Auto_without_KVM_runs_Linux_on_the_software_engine()
    {
        var (engine, reason) = MachineEngineSelection.Resolve(EngineChoice.Auto, guestIsLinux: true, NoKvm);

        Assert.Equal(EngineKind.Software, engine);
        Assert.Equal("auto: KVM is unusable (/dev/kvm does not exist)", reason);
    }

    [Fact]
    public void Soft_takes_Linux()
    {
        var (engine, reason) = MachineEngineSelection.Resolve(EngineChoice.Soft, guestIsLinux: true, Kvm);

        Assert.Equal(EngineKind.Software, engine);
        Assert.Equal("--engine soft", reason);
    }

    [Theory]
    [InlineData(EngineChoice.Soft, EngineKind.Software, "--engine soft")]
    [InlineData(EngineChoice.Kvm, EngineKind.Kvm, "--engine kvm")]
    public void An_explicit_choice_is_taken_without_probing(EngineChoice choice, EngineKind expected, string expectedReason)
    {
        var (engine, reason) = MachineEngineSelection.Resolve(choice, guestIsLinux: false,
            () => throw new InvalidOperationException("probed /dev/kvm"));

        Assert.Equal(expected, engine);
        Assert.Equal(expectedReason, reason);
    }

    [Fact]
    public void Auto_runs_Linux_on_the_software_engine_where_KVM_emulates_guest_kernel_code_and_says_why()
    {
        var (engine, reason) = MachineEngineSelection.Resolve(EngineChoice.Auto, guestIsLinux: true, Kvm, kvmEmulatesGuestKernelCode: () => true);

        Assert.Equal(EngineKind.Software, engine);
        Assert.Contains("nested PVM", reason);
        Assert.Contains("--engine kvm", reason);
    }

    [Fact]
    public void Auto_keeps_freestanding_guests_and_explicit_choices_on_KVM_where_KVM_emulates_guest_kernel_code()
    {
        Assert.Equal(EngineKind.Kvm, MachineEngineSelection.Resolve(EngineChoice.Auto, guestIsLinux: false, Kvm, () => true).Engine);
        Assert.Equal(EngineKind.Kvm, MachineEngineSelection.Resolve(EngineChoice.Kvm, guestIsLinux: true, Kvm, () => true).Engine);
    }

    [Fact]
    public void A_bios_boot_takes_the_software_engine_on_a_nested_pvm_host_and_refuses_kvm_there_naming_why()
    {
        var (engine, reason) = MachineEngineSelection.ResolveForBios(EngineChoice.Auto, Kvm, kvmEmulatesGuestKernelCode: () => true);
        Assert.Equal(EngineKind.Software, engine);
        Assert.Contains("real-mode", reason);

        var refused = Assert.Throws<ArgumentException>(() => MachineEngineSelection.ResolveForBios(EngineChoice.Kvm, Kvm, kvmEmulatesGuestKernelCode: () => true));
        Assert.Contains("kvm_pvm", refused.Message);
        Assert.Contains("--engine soft", refused.Message);
    }

    [Fact]
    public void A_bios_boot_takes_kvm_where_it_runs_real_mode_and_soft_where_there_is_none()
    {
        Assert.Equal(EngineKind.Kvm, MachineEngineSelection.ResolveForBios(EngineChoice.Auto, Kvm, kvmEmulatesGuestKernelCode: () => false).Engine);
        Assert.Equal(EngineKind.Kvm, MachineEngineSelection.ResolveForBios(EngineChoice.Kvm, Kvm, kvmEmulatesGuestKernelCode: () => false).Engine);
        Assert.Equal(EngineKind.Software, MachineEngineSelection.ResolveForBios(EngineChoice.Auto, NoKvm).Engine);
        Assert.Equal(EngineKind.Software, MachineEngineSelection.ResolveForBios(EngineChoice.Soft, Kvm, () => throw new InvalidOperationException("not probed")).Engine);
    }
}
