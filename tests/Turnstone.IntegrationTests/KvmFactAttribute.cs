namespace Turnstone.IntegrationTests;

/// <summary>A test that runs a guest on KVM: skipped, with the reason, where /dev/kvm is not usable.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        Skip = Kvm.SkipReason;
    }
}
