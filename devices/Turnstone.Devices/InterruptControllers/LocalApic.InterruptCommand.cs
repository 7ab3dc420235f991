namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// The ICR: writing its low half sends. Whatever is for this APIC (the self shorthand, all
/// including self, a destination that matches) is accepted here at once; whatever is for others
/// is handed to <see cref="InterprocessorInterruptSent"/> for a multi-vCPU machine to deliver.
/// </summary>
public sealed partial class LocalApic
{
    /// <summary>IPIs sent for other processors (all-excluding-self, broadcasts, other destinations).</summary>
    public long InterprocessorInterruptsSent { get; private set; }

    private LocalApicNotifications SendInterprocessorInterrupt(uint low)
    {
        // Delivery status (bit 12) and remote read status (17:16) are read-only and always idle.
        _icrLow = low & 0x000C_CFFF;
        var notifications = LocalApicNotifications.None;
        var mode = (ApicDeliveryMode)(low >> 8 & 7);
        var shorthand = (DestinationShorthand)(low >> 18 & 3);
        bool logical = (low & 1u << 11) != 0;
        bool levelAssert = (low & 1u << 14) != 0;
        bool levelTriggered = (low & 1u << 15) != 0;
        byte destination = (byte)(_icrHigh >> 24);
        byte vector = (byte)low;
        if (mode is ApicDeliveryMode.Fixed or ApicDeliveryMode.LowestPriority && vector < 16)
        {
            RecordError(SendIllegalVector);
            notifications.Wake = TakeErrorInterrupt();
            return notifications;
        }
        // An INIT with level de-assert is the old "synchronise arbitration IDs" message; nothing receives it.
        bool deassert = mode == ApicDeliveryMode.Init && levelTriggered && !levelAssert;
        var message = new ApicMessage(vector, mode, destination, logical, levelTriggered);
        bool toSelf = shorthand switch
        {
            DestinationShorthand.Self or DestinationShorthand.AllIncludingSelf => true,
            DestinationShorthand.AllExcludingSelf => false,
            _ => MatchesDestination(destination, logical),
        };
        bool toOthers = shorthand switch
        {
            DestinationShorthand.Self => false,
            DestinationShorthand.AllIncludingSelf or DestinationShorthand.AllExcludingSelf => true,
            _ => logical || destination != _id, // a logical or broadcast destination may name others too
        };
        if (toSelf && !deassert)
        {
            // The self shorthand carries fixed interrupts only (SDM table 11-3); other modes to self are not sent.
            bool allowed = shorthand != DestinationShorthand.Self || mode == ApicDeliveryMode.Fixed;
            notifications.Wake = allowed && AcceptLocked(message);
        }
        if (toOthers)
        {
            InterprocessorInterruptsSent++;
            notifications.Ipi = new InterprocessorInterrupt(message, shorthand, _id, levelAssert);
        }
        return notifications;
    }
}
