using Turnstone.Hypervisor.Kvm;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The KVM these tests run on. Where /dev/kvm cannot be used, the tests that need it are skipped
/// (<see cref="KvmFactAttribute"/>, <see cref="KvmTheoryAttribute"/>), each with the reason, and
/// the build counts those skips and prints the count: a skip is reported, never passed.
/// </summary>
public static class Kvm
{
    /// <summary>Every KVM skip reason starts with this; ./build.sh test counts the skipped tests by it.</summary>
    public const string SkipPrefix = "needs KVM:";

    private static readonly Lazy<KvmAvailability> Probed = new(() => KvmSystem.Probe());

    public static KvmAvailability Availability => Probed.Value;

    /// <summary>The reason a KVM-backed test is skipped here, or null when KVM is usable.</summary>
    public static string? SkipReason => Availability.IsUsable ? null : $"{SkipPrefix} {Availability.Reason}";

    public static KvmSystem Open() => KvmSystem.Open();

    /// <summary>Runs <paramref name="body"/> on a fresh thread: a vCPU must be created and run on one thread.</summary>
    public static T OnVcpuThread<T>(Func<T> body)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, 16 << 20);
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new AggregateException(failure);
        }
        return result;
    }
}
