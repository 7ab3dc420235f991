using System.Reflection;
using Turnstone.Engine;
using Xunit.Sdk;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The rows of a theory that runs on one engine: the engine first, then, when
/// <paramref name="rows"/> names a static member of the test class holding TheoryData, each of its
/// rows. Put <see cref="OnSoftEngineAttribute"/> and <see cref="OnKvmAttribute"/> on the same
/// theory to run it on both engines, each row reported on its own.
/// </summary>
public abstract class EngineDataAttribute(EngineChoice engine, string? rows) : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        if (rows is null)
        {
            yield return [engine];
            yield break;
        }
        var member = testMethod.DeclaringType!.GetProperty(rows, BindingFlags.Public | BindingFlags.Static)
            ?? throw new ArgumentException($"{testMethod.DeclaringType.Name} has no public static property {rows}");
        foreach (object[] row in (IEnumerable<object[]>)member.GetValue(null)!)
        {
            yield return [engine, .. row];
        }
    }
}

/// <summary>Rows on the software engine: they need no /dev/kvm and always run.</summary>
public sealed class OnSoftEngineAttribute(string? rows = null) : EngineDataAttribute(EngineChoice.Soft, rows);

/// <summary>Rows on KVM: skipped, with the reason (<see cref="Kvm.SkipPrefix"/>), where /dev/kvm is not usable.</summary>
public sealed class OnKvmAttribute : EngineDataAttribute
{
    public OnKvmAttribute(string? rows = null) : base(EngineChoice.Kvm, rows)
    {
        Skip = Kvm.SkipReason;
    }
}
