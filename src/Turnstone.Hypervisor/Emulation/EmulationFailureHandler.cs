using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>
/// Handles KVM_EXIT_INTERNAL_ERROR / emulation failure: fetch the instruction (from KVM's report or
/// guest memory), decode it with Iced once per RIP (a quiet Linux boot on a nested host takes
/// thousands of these exits at a few hundred distinct addresses), emulate it, write the state back.
/// </summary>
public sealed class EmulationFailureHandler(IGuestMemory memory)
{
    // A kernel needs a few hundred entries; the bound keeps a hostile guest that fails at ever new
    // addresses from growing the monitor's memory.
    private const int MaxCachedInstructions = 4096;

    private readonly Dictionary<ulong, (byte[] Bytes, Instruction Instruction)> _decoded = [];
    private readonly InstructionEmulator _emulator = new();
    private VcpuExtendedState? _extendedState;

    public long Handled { get; private set; }

    public IReadOnlyDictionary<Mnemonic, long> CountsByInstruction => _emulator.Counts;

    /// <summary>Emulates the failing instruction. Returns null when handled, else why the VM must stop.</summary>
    public string? Handle(Vcpu vcpu)
    {
        var regs = vcpu.GetRegisters();
        var sregs = vcpu.GetSpecialRegisters();
        if (!TryFetch(vcpu, regs, sregs, out var instruction, out string? fetchError))
        {
            return fetchError;
        }
        // One adapter per vCPU, not one per exit: this runs thousands of times in a boot.
        if (_extendedState?.Vcpu != vcpu)
        {
            _extendedState = new VcpuExtendedState(vcpu);
        }
        var result = _emulator.Emulate(instruction, ref regs, sregs, memory, _extendedState);
        switch (result.Outcome)
        {
            case EmulationOutcome.Completed:
                vcpu.SetRegisters(regs);
                break;
            case EmulationOutcome.RaiseException:
                vcpu.SetRegisters(regs);
                if (result.Vector == ExceptionVector.PageFault)
                {
                    sregs.Cr2 = result.PageFaultAddress;
                    vcpu.SetSpecialRegisters(sregs);
                }
                vcpu.InjectException(result.Vector, result.ErrorCode);
                break;
            default:
                return $"emulation failure on an instruction we do not emulate: {result.Reason}";
        }
        Handled++;
        return null;
    }

    private bool TryFetch(Vcpu vcpu, in KvmRegs regs, in KvmSregs sregs, out Instruction instruction, out string? error)
    {
        Span<byte> fetched = stackalloc byte[15];
        scoped ReadOnlySpan<byte> bytes = vcpu.EmulationFailureBytes;
        if (bytes.IsEmpty)
        {
            var virtualMemory = new GuestVirtualMemory(memory, new PagingMode(sregs.Cr0, sregs.Cr3, sregs.Cr4, sregs.Efer));
            int length = 15;
            // Shorten the fetch to the mapped part: an instruction may end right before an unmapped page.
            while (length > 0 && !virtualMemory.TryRead(regs.Rip, fetched[..length], out _))
            {
                length--;
            }
            bytes = fetched[..length];
        }
        if (_decoded.TryGetValue(regs.Rip, out var cached) && bytes.StartsWith(cached.Bytes))
        {
            instruction = cached.Instruction;
            error = null;
            return true;
        }
        if (!InstructionDecoding.TryDecode(bytes, regs.Rip, sregs, out instruction))
        {
            error = $"emulation failure at 0x{regs.Rip:x} on bytes that do not decode: {Convert.ToHexString(bytes)}";
            return false;
        }
        if (_decoded.Count >= MaxCachedInstructions)
        {
            _decoded.Clear();
        }
        _decoded[regs.Rip] = (bytes[..instruction.Length].ToArray(), instruction);
        error = null;
        return true;
    }
}
