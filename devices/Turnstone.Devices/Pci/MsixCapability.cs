using System.Buffers.Binary;

namespace Turnstone.Devices.Pci;

/// <summary>
/// The MSI-X capability (ID 0x11): Message Control (table size - 1, Function Mask, Enable), the
/// table's BAR indicator and offset, the PBA's. Only Enable and Function Mask are writable; each
/// guest write to Message Control is passed on to the <see cref="MsixTable"/>.
/// </summary>
public static class MsixCapability
{
    public const int Length = 12;

    // Offsets within the capability.
    public const int MessageControl = 0x02, TableOffsetAndBir = 0x04, PbaOffsetAndBir = 0x08;

    public const ushort EnableBit = 1 << 15, FunctionMaskBit = 1 << 14;

    /// <summary>
    /// Appends the capability for <paramref name="table"/>, whose BARs must already be defined
    /// and large enough. Returns the capability's offset.
    /// </summary>
    public static int Add(PciConfigSpace config, MsixTable table)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(table);
        RequireInsideBar(config, table.TableBar, table.TableOffset, table.TableLength, "table");
        RequireInsideBar(config, table.PbaBar, table.PbaOffset, table.PbaLength, "PBA");

        var body = new byte[Length - 2];
        var writable = new byte[body.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(MessageControl - 2), (ushort)(table.VectorCount - 1));
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(TableOffsetAndBir - 2), table.TableOffset | (uint)table.TableBar);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(PbaOffsetAndBir - 2), table.PbaOffset | (uint)table.PbaBar);
        BinaryPrimitives.WriteUInt16LittleEndian(writable.AsSpan(MessageControl - 2), EnableBit | FunctionMaskBit);
        int offset = config.AddCapability(PciCapabilityId.MsiX, body, writable);

        int control = offset + MessageControl;
        config.GuestWrote += (start, length) =>
        {
            if (PciConfigSpace.Overlaps(start, length, control, 2))
            {
                ushort value = config.ReadUInt16(control);
                table.SetControl((value & EnableBit) != 0, (value & FunctionMaskBit) != 0);
            }
        };
        return offset;
    }

    private static void RequireInsideBar(PciConfigSpace config, int bar, uint offset, int length, string what)
    {
        if (!config.TryGetBar(bar, out var mapping) || mapping.IsIo || offset + (ulong)length > mapping.Size)
        {
            throw new ArgumentException($"the MSI-X {what} (0x{offset:x}+0x{length:x}) needs a memory BAR{bar} that holds it");
        }
    }
}
