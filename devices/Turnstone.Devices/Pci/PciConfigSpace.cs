using System.Buffers.Binary;
using Turnstone.PciRoot;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.Devices.Pci;

/// <summary>
/// The 4 KiB PCI Express configuration space of one function, with a type 0 header.
/// Every byte has a guest-writable mask and a write-1-to-clear mask, so read-only and reserved
/// bits hold whatever the device put there (reserved ones stay zero) no matter what a guest
/// writes; BAR sizing falls out of the same masks (the address bits below the size are not
/// writable). Guest accesses come through <see cref="Read"/> and <see cref="Write"/> with any
/// offset and length: bytes outside the 4 KiB read as all-ones and are never written.
/// The device itself uses the <c>Set*</c> methods, which bypass the masks.
/// One lock serialises a function's config state; events fire under it, in order.
/// </summary>
public sealed partial class PciConfigSpace
{
    public const int Size = 4096;

    private const ushort WritableCommandBits = (ushort)(PciCommand.IoSpace | PciCommand.MemorySpace
        | PciCommand.BusMaster | PciCommand.ParityErrorResponse | PciCommand.SerrEnable | PciCommand.InterruptDisable);

    private readonly byte[] _bytes = new byte[Size];
    private readonly byte[] _writable = new byte[Size];
    private readonly byte[] _clearOnWrite = new byte[Size];

    public PciConfigSpace(PciIdentity identity, PciInterruptPin interruptPin = PciInterruptPin.None)
    {
        if (identity.VendorId == 0xFFFF)
        {
            // All-ones is what software reads from an empty slot.
            throw new ArgumentException("vendor ID 0xffff means \"no function\"", nameof(identity));
        }
        if (!Enum.IsDefined(interruptPin))
        {
            throw new ArgumentOutOfRangeException(nameof(interruptPin));
        }
        Identity = identity;
        InterruptPin = interruptPin;

        SetUInt16(VendorId, identity.VendorId);
        SetUInt16(DeviceId, identity.DeviceId);
        _bytes[Revision] = identity.Revision;
        _bytes[ProgrammingInterface] = identity.ClassCode.ProgrammingInterface;
        _bytes[SubClass] = identity.ClassCode.SubClass;
        _bytes[BaseClass] = identity.ClassCode.BaseClass;
        SetUInt16(SubsystemVendorId, identity.SubsystemVendorId);
        SetUInt16(SubsystemId, identity.SubsystemId);
        _bytes[PciConfigRegisters.InterruptPin] = (byte)interruptPin;

        SetMask(_writable, PciConfigRegisters.Command, WritableCommandBits);
        SetMask(_clearOnWrite, PciConfigRegisters.Status, (ushort)PciStatus.ErrorBits);
        // PCIe keeps Cache Line Size read/write for software compatibility although nothing uses it.
        _writable[CacheLineSize] = 0xFF;
        _writable[InterruptLine] = 0xFF;
    }

    public PciIdentity Identity { get; }

    public PciInterruptPin InterruptPin { get; }

    /// <summary>Serialises this function's state; callers that must see it consistently take it too.</summary>
    internal Lock Gate { get; } = new();

    public PciCommand Command => (PciCommand)ReadUInt16(PciConfigRegisters.Command);

    public PciStatus Status => (PciStatus)ReadUInt16(PciConfigRegisters.Status);

    /// <summary>
    /// Raised before a guest read overlapping (offset, length), so an owner can refresh a register
    /// that mirrors device state (virtio's PCI configuration access window, for instance).
    /// </summary>
    public event Action<int, int>? GuestReading;

    /// <summary>Raised after a guest write overlapping (offset, length) went through the masks.</summary>
    public event Action<int, int>? GuestWrote;

    /// <summary>A guest read; any offset and length, never throws.</summary>
    public void Read(int offset, Span<byte> data)
    {
        lock (Gate)
        {
            if (TryClip(offset, data.Length, out int start, out int count))
            {
                GuestReading?.Invoke(start, count);
            }
            for (int i = 0; i < data.Length; i++)
            {
                long at = (long)offset + i;
                data[i] = at is >= 0 and < Size ? _bytes[at] : (byte)0xFF;
            }
        }
    }

    /// <summary>A guest write: read-only bits keep their value, write-1-to-clear bits clear. Never throws.</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        lock (Gate)
        {
            if (!TryClip(offset, data.Length, out int start, out int count))
            {
                return;
            }
            var value = data.Slice(start - offset, count);
            for (int i = 0; i < count; i++)
            {
                int at = start + i;
                byte updated = (byte)((_bytes[at] & ~_writable[at]) | (value[i] & _writable[at]));
                _bytes[at] = (byte)(updated & ~(value[i] & _clearOnWrite[at]));
            }
            AfterChange(start, count);
            GuestWrote?.Invoke(start, count);
        }
    }

    public byte ReadByte(int offset)
    {
        lock (Gate)
        {
            CheckRange(offset, 1);
            return _bytes[offset];
        }
    }

    public ushort ReadUInt16(int offset)
    {
        lock (Gate)
        {
            CheckRange(offset, 2);
            return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(offset));
        }
    }

    public uint ReadUInt32(int offset)
    {
        lock (Gate)
        {
            CheckRange(offset, 4);
            return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));
        }
    }

    /// <summary>The device sets register bytes, ignoring the guest's masks.</summary>
    public void SetBytes(int offset, ReadOnlySpan<byte> value)
    {
        lock (Gate)
        {
            CheckRange(offset, value.Length);
            value.CopyTo(_bytes.AsSpan(offset));
            AfterChange(offset, value.Length);
        }
    }

    public void SetUInt16(int offset, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        SetBytes(offset, bytes);
    }

    public void SetUInt32(int offset, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        SetBytes(offset, bytes);
    }

    /// <summary>Which bits of the bytes at <paramref name="offset"/> a guest may change (and which it clears by writing 1).</summary>
    public void SetGuestMasks(int offset, ReadOnlySpan<byte> writable, ReadOnlySpan<byte> clearOnWrite = default)
    {
        lock (Gate)
        {
            CheckRange(offset, writable.Length);
            CheckRange(offset, clearOnWrite.Length);
            writable.CopyTo(_writable.AsSpan(offset));
            clearOnWrite.CopyTo(_clearOnWrite.AsSpan(offset));
        }
    }

    /// <summary>Status.InterruptStatus mirrors the function's INTx state, even while Interrupt Disable is set.</summary>
    internal void SetInterruptStatus(bool asserted)
    {
        lock (Gate)
        {
            ushort status = BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(PciConfigRegisters.Status));
            status = asserted ? (ushort)(status | (ushort)PciStatus.InterruptStatus) : (ushort)(status & ~(ushort)PciStatus.InterruptStatus);
            BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan(PciConfigRegisters.Status), status);
        }
    }

    /// <summary>Function 0 of a slot with more than one function says so, or guests never scan 1-7.</summary>
    internal void MarkMultiFunction()
    {
        lock (Gate)
        {
            _bytes[HeaderType] |= HeaderTypeMultiFunction;
        }
    }

    private void AfterChange(int offset, int length)
    {
        if (Overlaps(offset, length, PciConfigRegisters.Command, 2) || Overlaps(offset, length, Bar0, BarCount * 4))
        {
            RefreshBarMappings();
        }
    }

    internal static bool Overlaps(int offset, int length, int start, int count) =>
        offset < start + count && start < offset + length;

    private static bool TryClip(int offset, int length, out int start, out int count)
    {
        long first = Math.Max(offset, 0L);
        long end = Math.Min((long)offset + length, Size);
        start = (int)first;
        count = (int)Math.Max(end - first, 0);
        return count > 0;
    }

    private static void CheckRange(int offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"config bytes 0x{offset:x}+{length} lie outside the 4 KiB space");
        }
    }

    private static void SetMask(byte[] mask, int offset, ushort bits) =>
        BinaryPrimitives.WriteUInt16LittleEndian(mask.AsSpan(offset), bits);
}
