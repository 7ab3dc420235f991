using System.CommandLine;
using Turnstone.Components;
using Turnstone.Engine;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Cli;

/// <summary>
/// <c>--engine auto|kvm|soft</c> on the <c>turnstone bench</c> verbs, parsed as <c>component run</c>
/// parses it, and the refusal of verbs that measure KVM itself and so cannot run on the software engine.
/// </summary>
internal static class BenchEngineOption
{
    public static Option<string> Create(string what) => new("--engine")
    {
        Description = $"what runs the guest: kvm, soft or auto (KVM when /dev/kvm can be opened, else soft); {what}",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The choice, or null after printing why it is not one.</summary>
    public static EngineChoice? Parse(string text)
    {
        if (ExecutionEngines.TryParse(text, out var choice))
        {
            return choice;
        }
        RunCommand.Fail($"--engine: '{text}' is not one of auto, kvm, soft");
        return null;
    }

    /// <summary>
    /// For a verb that measures KVM itself (its exits, its VMs against the C floor on /dev/kvm):
    /// null when it can run, else the message saying why not and where the software engine's
    /// figures are. Auto needs KVM here rather than falling back.
    /// </summary>
    public static string? RefuseUnlessKvm(EngineChoice choice, string verb, string softwareAlternative)
    {
        if (choice == EngineChoice.Soft)
        {
            return $"bench {verb} cannot run on the software engine: it measures KVM itself; {softwareAlternative}";
        }
        if (choice == EngineChoice.Auto && KvmSystem.Probe() is { IsUsable: false } kvm)
        {
            return $"bench {verb} needs KVM, which is unusable here ({kvm.Reason}); {softwareAlternative}";
        }
        return null;
    }
}
