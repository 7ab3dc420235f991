using Turnstone.Cpu.Engine;
using Turnstone.Engine;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Engine;

namespace Turnstone.Components;

/// <summary>Turns an <see cref="EngineChoice"/> into an open engine, and says why that one.</summary>
public static class ExecutionEngines
{
    /// <summary>
    /// KVM opens /dev/kvm and throws <see cref="KvmException"/> with its usual message when that
    /// fails; Soft always succeeds; Auto tries KVM and falls back to the software engine, with the
    /// reason KVM was not used.
    /// </summary>
    public static (IExecutionEngine Engine, string Reason) Open(EngineChoice choice)
    {
        switch (choice)
        {
            case EngineChoice.Kvm:
                return (new KvmEngine(), "--engine kvm");
            case EngineChoice.Soft:
                return (new SoftwareEngine(), "--engine soft");
            default:
                try
                {
                    return (new KvmEngine(), "auto: /dev/kvm is usable");
                }
                catch (KvmException e)
                {
                    return (new SoftwareEngine(), $"auto: KVM is unusable ({e.Message})");
                }
        }
    }

    /// <summary>Whether a component asking for <paramref name="choice"/> may run on <paramref name="engine"/>.</summary>
    public static bool Allows(EngineChoice choice, EngineKind engine) => choice switch
    {
        EngineChoice.Kvm => engine == EngineKind.Kvm,
        EngineChoice.Soft => engine == EngineKind.Software,
        _ => true,
    };

    /// <summary>The name the CLI prints and parses: kvm or soft.</summary>
    public static string Name(EngineKind engine) => engine == EngineKind.Kvm ? "kvm" : "soft";

    public static bool TryParse(string text, out EngineChoice choice)
    {
        switch (text)
        {
            case "auto":
                choice = EngineChoice.Auto;
                return true;
            case "kvm":
                choice = EngineChoice.Kvm;
                return true;
            case "soft":
                choice = EngineChoice.Soft;
                return true;
            default:
                choice = EngineChoice.Auto;
                return false;
        }
    }
}
