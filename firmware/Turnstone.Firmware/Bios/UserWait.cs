using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 15h 86h, wait CX:DX microseconds, without blocking the vCPU: the first call records a
/// deadline and sets bit 0 of the BDA's wait flag (0x4A0, where BIOSes keep their user-wait state),
/// then asks the stub to halt until the next interrupt and trap again
/// (<see cref="BiosCall.WaitAndRetry"/>). A retry finds the flag set and the deadline recorded,
/// so it continues the same wait rather than starting a new one, and the last retry clears both.
/// </summary>
public sealed class UserWait(TimeProvider time)
{
    private const byte WaitInProgress = 0x01;

    private long _deadline;

    public void Wait(BiosCall call)
    {
        var memory = call.Memory;
        byte flag = memory.ReadByte(BiosDataArea.UserWaitFlag);
        if ((flag & WaitInProgress) == 0)
        {
            uint microseconds = ((call.Registers.Ecx & 0xFFFF) << 16) | (call.Registers.Edx & 0xFFFF);
            if (microseconds == 0)
            {
                call.Succeed();
                return;
            }
            _deadline = time.GetTimestamp() + (long)(microseconds * (double)time.TimestampFrequency / 1_000_000);
            memory.WriteUInt32(BiosDataArea.UserWaitMicroseconds, microseconds); // where BIOSes record the wait's length
            memory.WriteByte(BiosDataArea.UserWaitFlag, (byte)(flag | WaitInProgress));
        }
        if (time.GetTimestamp() < _deadline)
        {
            call.WaitAndRetry = true;
            return;
        }
        memory.WriteByte(BiosDataArea.UserWaitFlag, (byte)(memory.ReadByte(BiosDataArea.UserWaitFlag) & ~WaitInProgress));
        call.WaitAndRetry = false;
        call.Succeed();
    }
}
