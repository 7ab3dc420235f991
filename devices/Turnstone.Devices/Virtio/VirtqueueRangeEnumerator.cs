namespace Turnstone.Devices.Virtio;

/// <summary>
/// Walks a window of the readable or writable part of a chain as guest ranges, for
/// scatter-gather I/O without copying: each range is inside one guest RAM region and at most
/// <see cref="VirtqueueDescriptorChain.MaxRangeLength"/> bytes, so it maps to one span.
/// </summary>
public ref struct VirtqueueRangeEnumerator
{
    private readonly ReadOnlySpan<VirtqueueSegment> _segments;
    private readonly bool _writable;
    private int _segmentIndex;
    private ulong _skip;
    private ulong _remaining;
    private ulong _positionInSegment;

    internal VirtqueueRangeEnumerator(ReadOnlySpan<VirtqueueSegment> segments, bool writable, ulong offset, ulong length)
    {
        _segments = segments;
        _writable = writable;
        _skip = offset;
        _remaining = length;
        Current = default;
    }

    public VirtqueueSegment Current { get; private set; }

    public readonly VirtqueueRangeEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        while (_remaining > 0 && _segmentIndex < _segments.Length)
        {
            var segment = _segments[_segmentIndex];
            if (segment.IsWritable != _writable)
            {
                _segmentIndex++;
                continue;
            }
            if (_skip > 0)
            {
                ulong left = segment.Length - _positionInSegment;
                if (_skip >= left)
                {
                    _skip -= left;
                    _segmentIndex++;
                    _positionInSegment = 0;
                    continue;
                }
                _positionInSegment += _skip;
                _skip = 0;
            }
            ulong take = Math.Min(Math.Min(segment.Length - _positionInSegment, _remaining), (ulong)VirtqueueDescriptorChain.MaxRangeLength);
            if (take == 0)
            {
                _segmentIndex++;
                _positionInSegment = 0;
                continue;
            }
            Current = new VirtqueueSegment(segment.Address + _positionInSegment, (uint)take, segment.IsWritable);
            _positionInSegment += take;
            _remaining -= take;
            if (_positionInSegment == segment.Length)
            {
                _segmentIndex++;
                _positionInSegment = 0;
            }
            return true;
        }
        return false;
    }
}
