using Iced.Intel;
using Turnstone.Components;
using Turnstone.Engine;
using Turnstone.UnitTests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.UnitTests.Components;

/// <summary>
/// Whole components on the software engine, without KVM or the guest image build: one text page
/// assembled here, loaded through the public API. The sample components run in the integration
/// tests on both engines; these pin what only the software engine does.
/// </summary>
public sealed class SoftwareEngineComponentTests
{
    private static byte[] Component(Action<Assembler> build)
    {
        var assembler = new Assembler(64);
        build(assembler);
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), ComponentImages.TextAddress);
        byte[] code = [.. stream.ToArray(), .. Enumerable.Repeat((byte)0xCC, 0x100 - (int)stream.Length)];
        return new ElfBuilder { Entry = ComponentImages.TextAddress }
            .Load(ComponentImages.TextAddress, ComponentImages.TextAddress, code, flags: ComponentImages.RX)
            .Build();
    }

    private static Task<Component> Load(ComponentRuntime runtime, Action<Assembler> build) =>
        runtime.LoadAsync(Component(build), new ComponentOptions { Engine = EngineChoice.Soft });

    [Fact]
    public async Task A_component_exits_through_the_hypercall_port()
    {
        using var runtime = new ComponentRuntime(engine: EngineChoice.Soft);
        await using var component = await Load(runtime, a =>
        {
            a.mov(eax, (int)Hypercall.Exit);
            a.mov(edi, 42);
            a.@out(0xE8, al);
        });

        Assert.Equal(EngineKind.Software, component.Engine);
        Assert.Equal(ComponentState.Exited, component.State);
        Assert.Equal(42, component.ExitStatus);
    }

    [Fact]
    public async Task An_instruction_the_engine_lacks_is_an_internal_fault_naming_it()
    {
        using var runtime = new ComponentRuntime(engine: EngineChoice.Soft);

        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => Load(runtime, a => a.vaddps(ymm0, ymm1, ymm2)))).Fault;

        Assert.Equal(ComponentFaultKind.Internal, fault.Kind);
        Assert.Contains("not implemented by the software engine", fault.Message);
        Assert.Contains("vaddps", fault.Message);
        Assert.Equal(ComponentImages.TextAddress, fault.Rip);
    }

    [Fact]
    public async Task A_privileged_instruction_reaches_the_fault_shim_as_a_general_protection_fault()
    {
        using var runtime = new ComponentRuntime(engine: EngineChoice.Soft);

        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => Load(runtime, a =>
        {
            a.mov(ebx, 0x1234);
            a.cli();
        }))).Fault;

        Assert.Equal(ComponentFaultKind.Exception, fault.Kind);
        Assert.Equal(13, fault.Vector);
        Assert.Equal(ComponentImages.TextAddress + 5, fault.Rip);
        Assert.Equal(0x1234ul, fault.Registers.Rbx);
    }

    [Fact]
    public async Task A_spinning_component_is_stopped_at_its_budget()
    {
        using var runtime = new ComponentRuntime(engine: EngineChoice.Soft);
        var options = new ComponentOptions { Engine = EngineChoice.Soft, Limits = new ComponentLimits { CallTimeout = TimeSpan.FromMilliseconds(200) } };

        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => runtime.LoadAsync(Component(a =>
        {
            var spin = a.CreateLabel();
            a.Label(ref spin);
            a.jmp(spin);
        }), options))).Fault;

        Assert.Equal(ComponentFaultKind.Timeout, fault.Kind);
    }
}
