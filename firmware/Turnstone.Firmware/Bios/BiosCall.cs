using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// One trapped BIOS interrupt: the vector, the caller's registers, guest memory, and the FLAGS image
/// on the guest's stack. The trap stub pushes nothing before it traps, so at the trap SS:SP points at
/// the frame the INT pushed (IP, CS, FLAGS): results in CF/ZF go into that FLAGS word, which the
/// stub's IRET restores. Every guest-supplied address goes through <see cref="TryGetRealModeSpan"/>
/// or <see cref="TryGetPhysicalSpan"/>, which refuse anything outside RAM.
/// </summary>
public sealed class BiosCall(byte vector, IRealModeRegisters registers, IGuestMemory memory, UnsupportedServiceLog unsupported)
{
    private const ushort CarryFlag = 1 << 0, ZeroFlag = 1 << 6;

    /// <summary>Real-mode addresses reach 1 MiB + 64 KiB - 16 with A20 enabled (which we always are).</summary>
    public const uint RealModeAddressLimit = 0x10_FFF0;

    public byte Vector { get; } = vector;

    public IRealModeRegisters Registers { get; } = registers;

    public IGuestMemory Memory { get; } = memory;

    public byte Ah
    {
        get => (byte)(Registers.Eax >> 8);
        set => Registers.Eax = (Registers.Eax & 0xFFFF_00FF) | ((uint)value << 8);
    }

    public byte Al
    {
        get => (byte)Registers.Eax;
        set => Registers.Eax = (Registers.Eax & 0xFFFF_FF00) | value;
    }

    public ushort Ax
    {
        get => (ushort)Registers.Eax;
        set => Registers.Eax = (Registers.Eax & 0xFFFF_0000) | value;
    }

    public bool Carry
    {
        get => (StackedFlags & CarryFlag) != 0;
        set => StackedFlags = (ushort)(value ? StackedFlags | CarryFlag : StackedFlags & ~CarryFlag);
    }

    public bool Zero
    {
        get => (StackedFlags & ZeroFlag) != 0;
        set => StackedFlags = (ushort)(value ? StackedFlags | ZeroFlag : StackedFlags & ~ZeroFlag);
    }

    /// <summary>
    /// Set by a service that must wait for something the guest's timer interrupt brings (a key for
    /// INT 16h 00h, the end of an INT 15h 86h wait): the stub then enables interrupts, halts until
    /// the next one and traps again with the same registers, instead of the monitor blocking the vCPU.
    /// The monitor reports it to the stub in the live CF (not the stacked image).
    /// </summary>
    public bool WaitAndRetry { get; set; }

    /// <summary>Success: CF clear (AH left to the service).</summary>
    public void Succeed() => Carry = false;

    /// <summary>Failure with a status code: CF set, AH = <paramref name="status"/>.</summary>
    public void Fail(byte status)
    {
        Ah = status;
        Carry = true;
    }

    /// <summary>
    /// A function this BIOS does not implement: CF = 1, AH = <paramref name="status"/> (01h, invalid
    /// function, unless the vector's convention says otherwise: INT 15h's is 86h), logged once per
    /// <paramref name="name"/>. Never hangs and never guesses.
    /// </summary>
    public void Unsupported(string name, byte status = 0x01)
    {
        unsupported.Report(name, $"returned CF=1, AH={status:X2}h");
        Fail(status);
    }

    /// <summary>Guest memory at real-mode <paramref name="segment"/>:<paramref name="offset"/>, or false
    /// when any byte lies beyond the real-mode address space or outside RAM.</summary>
    public bool TryGetRealModeSpan(ushort segment, uint offset, int length, out Span<byte> span)
    {
        ulong linear = ((ulong)segment << 4) + offset;
        if (length < 0 || offset > 0xFFFF || linear + (ulong)length > RealModeAddressLimit)
        {
            span = default;
            return false;
        }
        return Memory.TryGetSpan(linear, length, out span);
    }

    /// <summary>Guest memory at a flat physical address (EDD packets may carry one), or false outside RAM.</summary>
    public bool TryGetPhysicalSpan(ulong address, int length, out Span<byte> span)
    {
        if (length < 0)
        {
            span = default;
            return false;
        }
        return Memory.TryGetSpan(address, length, out span);
    }

    private ushort StackedFlags
    {
        get => TryGetStackedFlags(out var flags) ? BitConverter.ToUInt16(flags) : (ushort)0;
        set
        {
            if (TryGetStackedFlags(out var flags))
            {
                BitConverter.TryWriteBytes(flags, value);
            }
        }
    }

    /// <summary>The FLAGS word of the INT frame: SS:SP+4. A stack outside RAM has no image to edit
    /// (the IRET will fault in the guest, which is the guest's problem, not the monitor's).</summary>
    private bool TryGetStackedFlags(out Span<byte> flags) =>
        TryGetRealModeSpan(Registers.Ss, (ushort)(Registers.Esp + 4), 2, out flags);
}
