using Turnstone.Firmware.Elf;
using Turnstone.Firmware;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;

namespace Turnstone.Components;

/// <summary>
/// Opens /dev/kvm once and loads components from it; the CPUID every component VM gets is
/// computed once here. Dispose it after the components it loaded.
/// </summary>
public sealed class ComponentRuntime : IDisposable
{
    private readonly KvmSystem _kvm;
    private readonly KvmCpuidEntry2[] _cpuid;

    public ComponentRuntime()
    {
        _kvm = KvmSystem.Open();
        _cpuid = CpuidPolicy.For(_kvm.GetSupportedCpuid(), vcpuId: 0);
    }

    /// <summary>Validates the ELF and options (throwing <see cref="ComponentImageException"/> before any VM
    /// exists), then creates the VM and runs the component's start-up code to READY or EXIT.</summary>
    public Task<Component> LoadAsync(string path, ComponentOptions? options = null)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComponentImageException($"{path}: cannot read: {e.Message}");
        }
        return LoadAsync(file, options, Path.GetFileName(path));
    }

    public Task<Component> LoadAsync(ReadOnlyMemory<byte> elf, ComponentOptions? options = null, string name = "component")
    {
        options ??= new ComponentOptions();
        var (image, space) = Validate(elf, options, name);
        return Component.StartAsync(name, () => ComponentVm.Create(_kvm, _cpuid, image, space, options), ownedRuntime: null);
    }

    internal static (ElfImage Image, ComponentAddressSpace Space) Validate(ReadOnlyMemory<byte> elf, ComponentOptions options, string name)
    {
        ElfImage image;
        try
        {
            image = ElfImage.Parse(elf, name);
        }
        catch (BootImageException e)
        {
            throw new ComponentImageException(e.Message);
        }
        return (image, ComponentAddressSpace.Plan(image, options.Limits, name));
    }

    /// <summary>Loads a component that owns this runtime and disposes it with itself.</summary>
    internal async Task<Component> LoadOwnedAsync(string path, ComponentOptions? options)
    {
        try
        {
            var component = await LoadAsync(path, options);
            component.OwnedRuntime = this;
            return component;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose() => _kvm.Dispose();
}
