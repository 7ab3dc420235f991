// Guests run one at a time: on hosts that emulate guest kernel code, two VMs at once slow each
// other several-fold, which would turn boot figures into noise and long boots into timeouts.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
