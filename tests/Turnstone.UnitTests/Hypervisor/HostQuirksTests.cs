using Turnstone.Hypervisor.Quirks;

namespace Turnstone.UnitTests.Hypervisor;

public sealed class HostQuirksTests : IDisposable
{
    private readonly DirectoryInfo _sysModule = Directory.CreateTempSubdirectory("turnstone-sys-module-");

    public void Dispose() => _sysModule.Delete(recursive: true);

    [Fact]
    public void A_loaded_kvm_pvm_module_means_system_calls_are_misdelivered()
    {
        _sysModule.CreateSubdirectory("kvm");
        _sysModule.CreateSubdirectory("kvm_pvm");

        Assert.True(HostQuirks.Detect(_sysModule.FullName).MisdeliversUserSystemCalls);
    }

    [Fact]
    public void Ordinary_KVM_modules_need_no_repair()
    {
        _sysModule.CreateSubdirectory("kvm");
        _sysModule.CreateSubdirectory("kvm_intel");

        Assert.Equal(HostQuirks.None, HostQuirks.Detect(_sysModule.FullName));
    }

    [Fact]
    public void A_file_named_kvm_pvm_is_not_a_loaded_module()
    {
        File.WriteAllText(Path.Combine(_sysModule.FullName, "kvm_pvm"), "");

        Assert.False(HostQuirks.Detect(_sysModule.FullName).MisdeliversUserSystemCalls);
    }

    [Fact]
    public void A_missing_sys_module_directory_means_no_quirks()
    {
        Assert.False(HostQuirks.Detect(Path.Combine(_sysModule.FullName, "absent")).MisdeliversUserSystemCalls);
    }
}
