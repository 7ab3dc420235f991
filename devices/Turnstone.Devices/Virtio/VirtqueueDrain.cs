namespace Turnstone.Devices.Virtio;

/// <summary>
/// The queue loop every device shares (rust-vmm's shape): suppress notifications, pop a chain,
/// handle it, add it to the used ring, repeat; decide on an interrupt per batch; re-enable
/// notifications and go round again if the driver added chains meanwhile. A broken chain or ring
/// ends the run with NeedsReset and the reason.
/// </summary>
public static class VirtqueueDrain
{
    /// <param name="chain">Refilled by every pop, so a run allocates nothing per request.</param>
    /// <remarks>Generic over the handler so a struct handler is called without boxing.</remarks>
    public static VirtqueueRunResult Run<THandler>(Virtqueue queue, int queueIndex, VirtqueueDescriptorChain chain, THandler handler)
        where THandler : IVirtqueueChainHandler
    {
        int completed = 0;
        bool interrupt = false;
        do
        {
            queue.DisableNotifications();
            int batch = 0;
            string? problem = null;
            while (handler.WantsChain && queue.TryPopChainInto(chain))
            {
                var outcome = handler.Handle(chain);
                if (outcome.NeedsReset)
                {
                    problem = outcome.Problem;
                    break;
                }
                if (!queue.AddUsed(chain.HeadIndex, outcome.UsedLength))
                {
                    problem = $"used ring of queue {queueIndex} could not be written";
                    break;
                }
                batch++;
            }
            completed += batch;
            if (batch > 0 && queue.NeedsNotification())
            {
                interrupt = true;
            }
            problem ??= queue.Error is { } error ? $"queue {queueIndex}: {error}" : null;
            if (problem is not null)
            {
                return new(completed, interrupt, true, problem);
            }
            if (!handler.WantsChain)
            {
                // Buffers the driver added meanwhile stay posted for later work; nothing to loop for.
                queue.EnableNotifications();
                return new(completed, interrupt, false, null);
            }
        }
        while (queue.EnableNotifications());
        return new(completed, interrupt, false, null);
    }
}
