using Iced.Intel;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Exits to the host and the faults instructions raise. A read the host must answer (IN, an MMIO
// load) stops the instruction before it changes anything; the host answers with CompleteRead and
// the instruction runs again, this time consuming the answer. A write (OUT, an MMIO store)
// completes the instruction and then exits.
public sealed unsafe partial class SoftwareCpu
{
    private const int MaxReplays = 4;

    private bool _exceptionPending;
    private ExceptionVector _exceptionVector;
    private uint _exceptionErrorCode;
    /// <summary>The current instruction did not retire: RIP stays at it.</summary>
    private bool _notRetired;
    /// <summary>The current instruction retired but the block must end after it (MMIO write, code invalidated).</summary>
    private bool _blockBreak;
    private bool _exitPending;
    private CpuExit _exit;
    private string? _notImplementedWhat;

    private bool _awaitingRead;
    private readonly CpuExit[] _replayRequest = new CpuExit[MaxReplays];
    private readonly ulong[] _replayValue = new ulong[MaxReplays];
    private int _replayCount;
    private int _replayUsed;

    /// <summary>Answers the <see cref="CpuExitReason.PortRead"/> or <see cref="CpuExitReason.MmioRead"/>
    /// exit just returned; the next <see cref="Run"/> restarts the instruction with this value.</summary>
    public void CompleteRead(ulong value)
    {
        if (!_awaitingRead)
        {
            throw new InvalidOperationException("no port or MMIO read is waiting for a value");
        }
        _awaitingRead = false;
        _replayRequest[_replayCount] = _exit;
        _replayValue[_replayCount] = value & SizeMask(_exit.Size);
        _replayCount++;
    }

    private static bool HasErrorCode(ExceptionVector vector) => vector is ExceptionVector.DoubleFault or
        ExceptionVector.InvalidTss or ExceptionVector.SegmentNotPresent or ExceptionVector.StackFault or
        ExceptionVector.GeneralProtection or ExceptionVector.PageFault or ExceptionVector.AlignmentCheck;

    /// <summary>Raises a fault for the current instruction (which does not retire). Returns false
    /// so handlers can <c>return RaiseFault(...)</c>.</summary>
    private bool RaiseFault(ExceptionVector vector, uint errorCode = 0)
    {
        _exceptionPending = true;
        _exceptionVector = vector;
        _exceptionErrorCode = errorCode;
        _notRetired = true;
        return false;
    }

    private bool InvalidOpcode() => RaiseFault(ExceptionVector.InvalidOpcode);

    private bool GeneralProtection(uint errorCode = 0) => RaiseFault(ExceptionVector.GeneralProtection, errorCode);

    /// <summary>Stops with a <see cref="CpuExitReason.NotImplemented"/> exit naming what is missing;
    /// the current instruction does not retire.</summary>
    private bool NotImplemented(string what)
    {
        _notImplementedWhat = what;
        _exit = new CpuExit(CpuExitReason.NotImplemented);
        _exitPending = true;
        _notRetired = true;
        return false;
    }

    private void Shutdown(string why)
    {
        _exit = new CpuExit(CpuExitReason.Shutdown, Description: why);
        _exitPending = true;
    }

    private bool TryHostRead(CpuExitReason reason, ulong address, int size, out ulong value)
    {
        if (_replayUsed < _replayCount)
        {
            ref CpuExit request = ref _replayRequest[_replayUsed];
            if (request.Reason == reason && request.Address == address && request.Size == size)
            {
                value = _replayValue[_replayUsed++];
                return true;
            }
            // The guest state moved on (the host changed registers): the old answers do not apply.
            _replayCount = 0;
            _replayUsed = 0;
        }
        value = 0;
        if (_exitPending || _replayCount == MaxReplays)
        {
            return NotImplemented("more host accesses in one instruction than the engine can replay");
        }
        _exit = new CpuExit(reason, address, size);
        _exitPending = true;
        _awaitingRead = true;
        _notRetired = true;
        return false;
    }

    private bool TryReadMmio(ulong physical, int size, out ulong value) => TryHostRead(CpuExitReason.MmioRead, physical, size, out value);

    private bool HostWrite(CpuExitReason reason, ulong address, int size, ulong value)
    {
        if (_exitPending)
        {
            return NotImplemented("two port or MMIO writes in one instruction");
        }
        _exit = new CpuExit(reason, address, size, value & SizeMask(size));
        _exitPending = true;
        _blockBreak = true;
        return true;
    }

    private bool WriteMmio(ulong physical, int size, ulong value) => HostWrite(CpuExitReason.MmioWrite, physical, size, value);

    private CpuExit TakeExit()
    {
        _exitPending = false;
        if (_exit.Reason == CpuExitReason.NotImplemented && _notImplementedWhat is not null)
        {
            string where = _executing64BitCode
                ? $"RIP 0x{_rip:x}: {DescribeInstructionAt(_rip)}"
                : $"CS:EIP 0x{_segments[(int)SegmentName.Cs].Selector:x}:0x{_rip:x} ({CodeBitness}-bit code): " +
                  DescribeInstructionAt((uint)(_segments[(int)SegmentName.Cs].Base + _rip), CodeBitness);
            _exit = _exit with { Description = $"{_notImplementedWhat} is not implemented by the software engine; at {where}" };
            _notImplementedWhat = null;
        }
        return _exit;
    }

    /// <summary>The disassembly and bytes at a linear address, for reports (decoded as 64-bit code).</summary>
    public string DescribeInstructionAt(ulong linear) => DescribeInstructionAt(linear, 64);

    /// <summary>The disassembly and bytes at a linear address, decoded as code of the given size (16, 32 or 64 bits).</summary>
    public string DescribeInstructionAt(ulong linear, int bitness)
    {
        var bytes = new byte[15];
        int count = 0;
        bool savedPending = _exceptionPending, savedExitPending = _exitPending;
        CpuExit savedExit = _exit;
        string? savedWhat = _notImplementedWhat;
        ulong savedCr2 = _cr2;
        for (; count < bytes.Length; count++)
        {
            ulong address = linear + (ulong)count;
            if (!IsCanonical(address) || !TryWalk(address, ReadKind, false, out ulong physical))
            {
                break;
            }
            byte* page = _memory.HostPage(physical & ~0xFFFUL);
            if (page == null)
            {
                break;
            }
            bytes[count] = page[physical & 0xFFF];
        }
        _exceptionPending = savedPending;
        _exitPending = savedExitPending;
        _exit = savedExit;
        _notImplementedWhat = savedWhat;
        _notRetired = false;
        _cr2 = savedCr2;
        if (count == 0)
        {
            return "(code not readable)";
        }
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(bytes, 0, count), linear);
        decoder.Decode(out Instruction instruction);
        var formatter = new NasmFormatter();
        var output = new StringOutput();
        formatter.Format(instruction, output);
        int length = Math.Max(1, Math.Min(instruction.Length, count));
        return $"{output.ToStringAndReset()} ({Convert.ToHexString(bytes, 0, length).ToLowerInvariant()})";
    }
}
