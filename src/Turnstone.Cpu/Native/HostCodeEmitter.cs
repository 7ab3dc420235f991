using Iced.Intel;

namespace Turnstone.Cpu.Native;

/// <summary>
/// Encodes instructions one at a time with Iced's <see cref="Encoder"/> into a reused buffer, with
/// forward labels for rel32 branches patched at the end. Iced's Assembler does the same through
/// its BlockEncoder, which allocated so much per block (about 100 us and tens of kilobytes of
/// garbage each) that translating a kernel's hot blocks grew the managed heap's committed memory
/// by 90 MiB; this emits a block with next to no allocation.
/// </summary>
internal sealed class HostCodeEmitter : CodeWriter
{
    private byte[] _buffer = new byte[4096];
    private int _length;
    private readonly Encoder _encoder;
    private readonly List<int> _labels = [];
    private readonly List<(int Field, int Label)> _fixups = [];

    public HostCodeEmitter() => _encoder = Encoder.Create(64, this);

    public void Reset()
    {
        _length = 0;
        _labels.Clear();
        _fixups.Clear();
    }

    public override void WriteByte(byte value)
    {
        if (_length == _buffer.Length)
        {
            Array.Resize(ref _buffer, _length * 2);
        }
        _buffer[_length++] = value;
    }

    /// <summary>Encodes one instruction; an encoding Iced refuses throws (the block is then not translated).</summary>
    public void Emit(in Instruction instruction)
    {
        if (!_encoder.TryEncode(instruction, (ulong)_length, out _, out string? error))
        {
            throw new InvalidOperationException($"cannot encode {instruction}: {error}");
        }
    }

    public int CreateLabel()
    {
        _labels.Add(-1);
        return _labels.Count - 1;
    }

    public void Bind(int label) => _labels[label] = _length;

    /// <summary>Bytes emitted so far.</summary>
    public int Length => _length;

    /// <summary>A bound label's offset in the block.</summary>
    public int Offset(int label) => _labels[label];

    /// <summary>A JMP or Jcc to <paramref name="label"/>: <paramref name="code"/> must be a rel32 form.</summary>
    public void Branch(Code code, int label)
    {
        Emit(Instruction.CreateBranch(code, (ulong)_length));
        _fixups.Add((_length - 4, label));
    }

    /// <summary>The block's bytes with every branch pointing at its label.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        foreach ((int field, int label) in _fixups)
        {
            int target = _labels[label];
            if (target < 0)
            {
                throw new InvalidOperationException("a branch to a label never bound");
            }
            BitConverter.TryWriteBytes(_buffer.AsSpan(field, 4), target - (field + 4));
        }
        return _buffer.AsSpan(0, _length);
    }
}

/// <summary>A code reader over a block's bytes that the translator points at each block in turn.</summary>
internal sealed class BlockBytesReader : CodeReader
{
    private byte[] _bytes = [];
    private int _position;

    public void Reset(byte[] bytes, int position)
    {
        _bytes = bytes;
        _position = position;
    }

    public override int ReadByte() => _position < _bytes.Length ? _bytes[_position++] : -1;
}
