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
