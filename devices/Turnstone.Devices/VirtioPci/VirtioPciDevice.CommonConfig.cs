using System.Buffers.Binary;
using Turnstone.Devices.Virtio;
using static Turnstone.Devices.VirtioPci.VirtioPciCommonConfig;
using static Turnstone.Devices.VirtioPci.VirtioPciLayout;

namespace Turnstone.Devices.VirtioPci;

/// <summary>
/// struct virtio_pci_common_cfg (virtio 1.2, 4.1.4.3). Each field answers only an access of its
/// own width at its own offset (the spec's "natural" access); 64-bit fields also take their two
/// 32-bit halves. Anything else (other widths, straddling accesses, reserved offsets, a queue
/// that does not exist) reads as zero and writes nothing. Called under Config.Gate.
/// </summary>
public sealed partial class VirtioPciDevice
{
    private Virtqueue? SelectedQueue => _queueSelect < QueueCount ? _device.Queues[_queueSelect] : null;

    private void ReadCommon(int offset, Span<byte> data)
    {
        if (TryReadCommon(offset, data.Length, out ulong value))
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            bytes[..data.Length].CopyTo(data);
        }
    }

    private bool TryReadCommon(int offset, int width, out ulong value)
    {
        var queue = SelectedQueue;
        if (offset is >= QueueDesc and < Length)
        {
            bool hit = TryAccessAddress(offset, width, out int field, out bool? upper);
            value = hit ? ReadAddress(queue, field, upper) : 0;
            return hit;
        }
        ulong? read = (offset, width) switch
        {
            (DeviceFeatureSelect, 4) => _deviceFeatureSelect,
            (DeviceFeature, 4) => FeatureWindow(_device.OfferedFeatures, _deviceFeatureSelect),
            (DriverFeatureSelect, 4) => _driverFeatureSelect,
            (DriverFeature, 4) => FeatureWindow(_driverFeatures, _driverFeatureSelect),
            (ConfigMsixVector, 2) => _configVector,
            (NumQueues, 2) => (ulong)QueueCount,
            // Until a reset written during queue processing completes, the old status reads back.
            (DeviceStatus, 1) => (byte)_status,
            (ConfigGeneration, 1) => _configGeneration,
            (QueueSelect, 2) => _queueSelect,
            // Size 0 is how a driver learns that a queue does not exist.
            (QueueSize, 2) => queue?.Size ?? 0,
            (QueueMsixVector, 2) => queue is null ? NoVector : _queueVectors[_queueSelect],
            (QueueEnable, 2) => queue?.IsReady == true ? 1ul : 0ul,
            (QueueNotifyOff, 2) => queue is null ? 0ul : _queueSelect,
            _ => null,
        };
        value = read ?? 0;
        return read.HasValue;
    }

    private void WriteCommon(int offset, ReadOnlySpan<byte> data)
    {
        if (_resetPending)
        {
            // The driver must wait for device_status to read 0 before touching anything else.
            return;
        }
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        data.CopyTo(bytes);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var queue = SelectedQueue;
        if (offset is >= QueueDesc and < Length)
        {
            if (TryAccessAddress(offset, data.Length, out int field, out bool? upper) && queue is not null && !queue.IsReady)
            {
                WriteAddress(queue, field, upper, value);
            }
            return;
        }
        switch (offset, data.Length)
        {
            case (DeviceFeatureSelect, 4):
                _deviceFeatureSelect = (uint)value;
                break;
            case (DriverFeatureSelect, 4):
                _driverFeatureSelect = (uint)value;
                break;
            case (DriverFeature, 4) when (_status & VirtioDeviceStatus.FeaturesOk) == 0 && _driverFeatureSelect < 2:
                int shift = 32 * (int)_driverFeatureSelect;
                _driverFeatures = (_driverFeatures & ~(0xFFFF_FFFFul << shift)) | (value << shift);
                break;
            case (ConfigMsixVector, 2):
                _configVector = MappableVector((ushort)value);
                break;
            case (DeviceStatus, 1):
                WriteStatus((VirtioDeviceStatus)value);
                break;
            case (QueueSelect, 2):
                _queueSelect = (ushort)value;
                break;
            case (QueueSize, 2) when queue is not null && !queue.IsReady:
                // Split rings need a power of two no larger than the device's maximum; other values
                // are dropped, so the driver reads back what will be used.
                ushort size = (ushort)value;
                if (size != 0 && size <= queue.MaxSize && (size & (size - 1)) == 0)
                {
                    queue.Size = size;
                }
                break;
            case (QueueMsixVector, 2) when queue is not null:
                _queueVectors[_queueSelect] = MappableVector((ushort)value);
                break;
            case (QueueEnable, 2) when queue is not null && value == 1:
                EnableQueue(_queueSelect, queue);
                break;
        }
    }

    private void WriteStatus(VirtioDeviceStatus written)
    {
        if (written == VirtioDeviceStatus.None)
        {
            if (_processing)
            {
                _resetPending = true;
            }
            else
            {
                ResetTransport();
            }
            return;
        }
        // DEVICE_NEEDS_RESET is the device's bit, and FEATURES_OK, once granted, stays until reset.
        var status = (written & ~VirtioDeviceStatus.DeviceNeedsReset) | (_status & (VirtioDeviceStatus.DeviceNeedsReset | VirtioDeviceStatus.FeaturesOk));
        if ((written & VirtioDeviceStatus.FeaturesOk) != 0 && (_status & VirtioDeviceStatus.FeaturesOk) == 0 && !TryAcceptFeatures())
        {
            // The driver reads device_status back to learn the refusal (virtio 1.2, 3.1.1 step 6).
            status &= ~VirtioDeviceStatus.FeaturesOk;
        }
        _status = status;
    }

    private bool TryAcceptFeatures() =>
        (_driverFeatures & VirtioFeatures.Version1) != 0
        && (_driverFeatures & ~_device.OfferedFeatures) == 0
        && _device.AcceptFeatures(_driverFeatures);

    private void EnableQueue(int index, Virtqueue queue)
    {
        // Ring features are applied at FEATURES_OK; a queue enabled before that would run without them.
        if ((_status & VirtioDeviceStatus.FeaturesOk) == 0 || queue.IsReady)
        {
            return;
        }
        if (!queue.TryEnable(out var error))
        {
            EnterNeedsReset($"queue {index} could not be enabled: {error}");
        }
    }

    /// <summary>The vector if the table has it, else NO_VECTOR, which tells the driver the mapping failed.</summary>
    private ushort MappableVector(ushort vector) => vector < Msix.VectorCount ? vector : NoVector;

    private static ulong FeatureWindow(ulong features, uint select) => select switch
    {
        0 => features & 0xFFFF_FFFF,
        1 => features >> 32,
        _ => 0,
    };

    /// <summary>Which 64-bit queue address field an access hits: the whole (upper null) or one half.</summary>
    private static bool TryAccessAddress(int offset, int width, out int field, out bool? upper)
    {
        field = QueueDesc + (offset - QueueDesc) / 8 * 8;
        (bool hit, upper) = (offset - field, width) switch
        {
            (0, 8) => (true, (bool?)null),
            (0, 4) => (true, false),
            (4, 4) => (true, true),
            _ => (false, null),
        };
        return hit;
    }

    private static ulong ReadAddress(Virtqueue? queue, int field, bool? upper)
    {
        ulong address = queue is null ? 0 : field switch
        {
            QueueDesc => queue.DescriptorTableAddress,
            QueueDriver => queue.AvailableRingAddress,
            _ => queue.UsedRingAddress,
        };
        return upper switch
        {
            null => address,
            false => address & 0xFFFF_FFFF,
            true => address >> 32,
        };
    }

    private static void WriteAddress(Virtqueue queue, int field, bool? upper, ulong value)
    {
        ulong current = field switch
        {
            QueueDesc => queue.DescriptorTableAddress,
            QueueDriver => queue.AvailableRingAddress,
            _ => queue.UsedRingAddress,
        };
        ulong updated = upper switch
        {
            null => value,
            false => (current & 0xFFFF_FFFF_0000_0000) | (value & 0xFFFF_FFFF),
            true => (current & 0xFFFF_FFFF) | (value << 32),
        };
        switch (field)
        {
            case QueueDesc:
                queue.DescriptorTableAddress = updated;
                break;
            case QueueDriver:
                queue.AvailableRingAddress = updated;
                break;
            default:
                queue.UsedRingAddress = updated;
                break;
        }
    }
}
