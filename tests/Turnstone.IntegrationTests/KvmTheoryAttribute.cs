namespace Turnstone.IntegrationTests;

/// <summary>A data-driven test that runs guests on KVM: every row is skipped, with the reason, where /dev/kvm is not usable.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute()
    {
        Skip = Kvm.SkipReason;
    }
}
