using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// Hands each trapped BIOS interrupt to the <see cref="IBiosService"/> of its vector. The vector
/// comes from where the trap happened (<see cref="BiosStubLayout.VectorAt"/>), never from a guest
/// register; a vector in the BIOS range with no service yet answers CF = 1, AH = 01h, logged once.
/// </summary>
public sealed class BiosDispatcher
{
    private const uint CarryFlag = 1;

    /// <summary>The vectors a PC BIOS answers (INT 10h-1Ah: video, equipment, memory size, disk,
    /// serial, system, keyboard, printer, boot failure, bootstrap, time): each gets a trap stub
    /// whether or not a service for it is loaded, so a missing one is reported rather than silent.</summary>
    public static IReadOnlyList<byte> StandardVectors { get; } = [.. Enumerable.Range(0x10, 11).Select(v => (byte)v)];

    private readonly IBiosService?[] _services = new IBiosService?[BiosStubLayout.VectorCount];
    private readonly IGuestMemory _memory;
    private readonly UnsupportedServiceLog _unsupported;

    public BiosDispatcher(IEnumerable<IBiosService> services, IGuestMemory memory, UnsupportedServiceLog unsupported)
    {
        _memory = memory;
        _unsupported = unsupported;
        foreach (var service in services)
        {
            foreach (byte vector in service.Vectors)
            {
                if (_services[vector] is { } other)
                {
                    throw new ArgumentException($"INT {vector:X2}h has two services: {other.GetType().Name} and {service.GetType().Name}", nameof(services));
                }
                _services[vector] = service;
            }
        }
    }

    /// <summary>The vectors the IVT must send to trap stubs: the standard BIOS range and every service's.</summary>
    public IReadOnlyList<byte> TrapVectors =>
        [.. StandardVectors.Concat(Enumerable.Range(0, BiosStubLayout.VectorCount).Where(v => _services[v] is not null).Select(v => (byte)v)).Distinct().Order()];

    /// <summary>Trapped calls handled so far, by the monitor (for the run summary).</summary>
    public long Calls { get; private set; }

    /// <summary>
    /// Handles the trap at the vCPU's CS:IP. False (nothing changed) when CS:IP is not in a trap
    /// slot: the port was written by other code, which gets nothing from it.
    /// </summary>
    public bool TryHandleTrap(IRealModeRegisters registers)
    {
        if (BiosStubLayout.VectorAt(registers.Cs, registers.Ip) is not { } vector)
        {
            return false;
        }
        Calls++;
        var call = new BiosCall(vector, registers, _memory, _unsupported);
        if (_services[vector] is { } service)
        {
            service.Handle(call);
        }
        else
        {
            call.Unsupported($"INT {vector:X2}h AH={call.Ah:X2}h");
        }
        // The live CF tells the stub whether to halt and trap again (it never reaches the caller:
        // the stub's IRET restores the stacked FLAGS).
        registers.Eflags = call.WaitAndRetry ? registers.Eflags | CarryFlag : registers.Eflags & ~CarryFlag;
        return true;
    }
}
