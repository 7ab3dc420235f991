using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios.Keyboard;

/// <summary>
/// INT 16h, fed by the terminal: bytes from <see cref="IBiosConsole"/> become keys
/// (<see cref="TerminalKeyDecoder"/>) in the BDA ring (<see cref="KeyboardBuffer"/>), which the
/// read functions take them from, as SeaBIOS's take what its IRQ1 handler queued. A read with no
/// key asks the stub to halt until the next interrupt and trap again
/// (<see cref="BiosCall.WaitAndRetry"/>) instead of blocking the vCPU. There are no shift keys on
/// a terminal, so the shift flags (0x417/0x418) stay as the guest leaves them.
/// </summary>
public sealed class KeyboardService(IBiosConsole console) : IBiosService
{
    private readonly TerminalKeyDecoder _decoder = new();
    private ushort? _heldKey;

    public IReadOnlyList<byte> Vectors { get; } = [0x16];

    /// <summary>
    /// Moves what the terminal typed into the BDA ring, as far as it has room. The services call
    /// it on every read; the machine's timer interrupt may call it too, so that guests reading
    /// the ring directly see keys without asking INT 16h.
    /// </summary>
    public void PollConsole(IGuestMemory memory)
    {
        while (_heldKey is { } held || _decoder.TryReadKey(console, out held))
        {
            if (!KeyboardBuffer.TryEnqueue(memory, held))
            {
                _heldKey = held; // the ring is full: keep the key for when it drains
                return;
            }
            _heldKey = null;
        }
    }

    public void Handle(BiosCall call)
    {
        switch (call.Ah)
        {
            case 0x00 or 0x10:
                ReadKey(call, extended: call.Ah == 0x10);
                break;
            case 0x01 or 0x11:
                PeekKey(call, extended: call.Ah == 0x11);
                break;
            case 0x02:
                call.Al = call.Memory.ReadByte(BiosDataArea.KeyboardFlags0);
                break;
            case 0x12:
                // AL = shift flags; AH = the second flag byte with right Ctrl/Alt taken from 0x496 (SeaBIOS).
                byte rightKeys = (byte)(call.Memory.ReadByte(BiosDataArea.KeyboardMode) & 0x0C);
                call.Al = call.Memory.ReadByte(BiosDataArea.KeyboardFlags0);
                call.Ah = (byte)((call.Memory.ReadByte(BiosDataArea.KeyboardFlags1) & ~0x0C) | rightKeys);
                break;
            case 0x03:
                // Typematic rate: a terminal repeats keys by itself; accept and ignore.
                call.Succeed();
                break;
            case 0x05:
                bool stored = KeyboardBuffer.TryEnqueue(call.Memory, (ushort)call.Registers.Ecx);
                call.Al = stored ? (byte)0 : (byte)1;
                call.Carry = !stored;
                break;
            case 0x09:
                call.Al = 0x30; // 0Ah and 10h-12h supported, as SeaBIOS answers
                break;
            case 0x0A:
                call.Registers.Ebx = (call.Registers.Ebx & 0xFFFF_0000) | 0xAB83; // an MF2 keyboard
                break;
            case 0x92:
                call.Ah = 0x80; // DOS KEYB's capability check: 10h-12h supported
                break;
            case 0xA2:
                break; // 122-key functions not supported: AH unchanged, as SeaBIOS
            case 0x6F when call.Al == 0x08:
                call.Ah = 2; // not an HP Vectra keyboard
                break;
            default:
                call.Unsupported($"INT 16h AX={call.Ax:X4}h");
                break;
        }
    }

    private void ReadKey(BiosCall call, bool extended)
    {
        PollConsole(call.Memory);
        if (!KeyboardBuffer.TryDequeue(call.Memory, out ushort key))
        {
            call.WaitAndRetry = true;
            return;
        }
        call.WaitAndRetry = false;
        call.Ax = Translate(key, extended);
    }

    /// <summary>01h/11h: ZF = 1 when no key; else ZF = 0 and AX = the key, left in the ring.</summary>
    private void PeekKey(BiosCall call, bool extended)
    {
        PollConsole(call.Memory);
        if (!KeyboardBuffer.TryPeek(call.Memory, out ushort key))
        {
            call.Zero = true;
            return;
        }
        call.Zero = false;
        call.Ax = Translate(key, extended);
    }

    /// <summary>SeaBIOS's dequeue_key: the non-extended functions see grey keys as plain ones
    /// (E0h becomes 00h, keypad Enter and '/' their main-keyboard codes); F0h ASCII becomes 00h.</summary>
    public static ushort Translate(ushort key, bool extended)
    {
        byte ascii = (byte)key;
        if (!extended)
        {
            if (ascii == 0xE0 && (key & 0xFF00) != 0)
            {
                key &= 0xFF00;
            }
            else if (key is 0xE00D or 0xE00A)
            {
                key = (ushort)(0x1C00 | ascii);
            }
            else if (key == 0xE02F)
            {
                key = 0x352F;
            }
        }
        if (ascii == 0xF0 && (key & 0xFF00) != 0)
        {
            key &= 0xFF00;
        }
        return key;
    }
}
