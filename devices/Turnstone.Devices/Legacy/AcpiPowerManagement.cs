using System.Buffers.Binary;
using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Legacy;

/// <summary>
/// The fixed-hardware ACPI registers a guest needs to power off and reset: the PM1a event block
/// (status, RW1C, and enable), the PM1a control block, and a one-byte reset register. Writing
/// SLP_EN with SLP_TYP = <see cref="SoftOffSleepType"/> (what the DSDT's <c>\_S5_</c> names) powers
/// the machine off; writing <see cref="ResetValue"/> to the reset register (the FADT's RESET_REG)
/// resets it. The FADT gives no SMI command port, so the guest finds SCI_EN already set: the
/// platform is always in ACPI mode. Ports (offsets from <see cref="BasePort"/>): PM1a_EVT_BLK 0-3,
/// PM1a_CNT_BLK 4-5, reset register 6.
/// </summary>
public sealed class AcpiPowerManagement : IBusDevice
{
    public const ushort BasePort = 0x600;
    public const ulong PortSpan = 7;
    public const ushort EventBlock = BasePort, ControlBlock = BasePort + 4, ResetRegister = BasePort + 6;
    public const byte EventBlockLength = 4, ControlBlockLength = 2;
    public const int SoftOffSleepType = 5;
    public const byte ResetValue = 0x01;

    private const ushort SciEnable = 1, SleepTypeMask = 0x1C00, SleepEnable = 0x2000;
    private const int SleepTypeShift = 10;

    private readonly IMachineControl _machine;
    private readonly Lock _gate = new();
    // PM1a_STS (2), PM1a_EN (2), PM1a_CNT (2), reset register (write-only, reads 0).
    private readonly byte[] _registers = new byte[PortSpan];

    public AcpiPowerManagement(IMachineControl machine)
    {
        _machine = machine;
        _registers[4] = (byte)SciEnable;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                data[i] = at < PortSpan ? _registers[at] : (byte)0xFF;
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            bool controlWritten = false;
            for (int i = 0; i < data.Length; i++)
            {
                ulong at = offset + (ulong)i;
                switch (at)
                {
                    case 0 or 1:
                        _registers[at] &= (byte)~data[i]; // status bits are cleared by writing ones
                        break;
                    case 2 or 3:
                        _registers[at] = data[i];
                        break;
                    case 4 or 5:
                        _registers[at] = data[i];
                        controlWritten = true;
                        break;
                    case 6 when data[i] == ResetValue:
                        _machine.RequestReset($"ACPI reset register (port 0x{ResetRegister:x}, value 0x{ResetValue:x})");
                        break;
                }
            }
            if (controlWritten)
            {
                WriteControl(BinaryPrimitives.ReadUInt16LittleEndian(_registers.AsSpan(4)));
            }
        }
    }

    private void WriteControl(ushort control)
    {
        int sleepType = (control & SleepTypeMask) >> SleepTypeShift;
        // SLP_EN is write-only and SCI_EN stays set; SLP_TYP is kept for a later read.
        BinaryPrimitives.WriteUInt16LittleEndian(_registers.AsSpan(4), (ushort)((control & ~SleepEnable) | SciEnable));
        if ((control & SleepEnable) != 0 && sleepType == SoftOffSleepType)
        {
            _machine.RequestPowerOff($"ACPI S5 (SLP_TYP {sleepType} with SLP_EN in PM1a_CNT)");
        }
    }
}
