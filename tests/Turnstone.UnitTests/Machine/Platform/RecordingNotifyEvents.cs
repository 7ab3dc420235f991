using Turnstone.HostIo;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine.Platform;

namespace Turnstone.UnitTests.Machine.Platform;

/// <summary>
/// KVM_IOEVENTFD without KVM: records every notify registration and its removal, and refuses
/// addresses marked as claimed the way KVM does (EEXIST), so the queue notifiers' bookkeeping is
/// visible to a test. Thread-safe: the notifiers register from whichever thread moves a BAR.
/// </summary>
internal sealed class RecordingNotifyEvents : INotifyEventRegistrar
{
    private readonly Lock _gate = new();
    private readonly List<Registration> _all = [];

    /// <summary>Addresses another function's notify area already holds.</summary>
    public HashSet<ulong> Claimed { get; } = [];

    /// <summary>Called as each registration is removed, before it counts as removed.</summary>
    public Action<Registration>? OnRemove { get; set; }

    public IReadOnlyList<Registration> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    public IReadOnlyList<Registration> Live => [.. All.Where(r => !r.Removed)];

    public IDisposable Register(EventFd fd, ulong address, int length)
    {
        lock (_gate)
        {
            if (Claimed.Contains(address))
            {
                throw new KvmException($"KVM_IOEVENTFD at address 0x{address:x} failed: File exists (errno 17)", 17);
            }
            var registration = new Registration(this, fd, address, length);
            _all.Add(registration);
            return registration;
        }
    }

    internal sealed class Registration(RecordingNotifyEvents owner, EventFd fd, ulong address, int length) : IDisposable
    {
        private int _removed;

        public EventFd EventFd { get; } = fd;
        public ulong Address { get; } = address;
        public int Length { get; } = length;
        public bool Removed => Volatile.Read(ref _removed) != 0;

        /// <summary>Whether the eventfd was still open when the registration was removed (KVM needs it until
        /// then). Found by reading it, which takes a pending count: the tests have none pending then.</summary>
        public bool EventFdOpenAtRemoval { get; private set; }

        public void Dispose()
        {
            if (Removed)
            {
                return;
            }
            try
            {
                EventFd.TryRead(out _);
                EventFdOpenAtRemoval = true;
            }
            catch (ObjectDisposedException)
            {
                EventFdOpenAtRemoval = false;
            }
            owner.OnRemove?.Invoke(this);
            Volatile.Write(ref _removed, 1);
        }
    }
}
