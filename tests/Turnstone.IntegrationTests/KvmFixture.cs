using Turnstone.Hypervisor.Kvm;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Integration tests need /dev/kvm. They fail (not skip) when it is missing: CI machines have it,
/// and a silently skipped boot test would hide exactly the regressions these tests exist for.
/// </summary>
public static class Kvm
{
    public static KvmSystem Open()
    {
        Assert.True(KvmSystem.IsAvailable(), "integration tests need read-write access to /dev/kvm");
        return KvmSystem.Open();
    }

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
