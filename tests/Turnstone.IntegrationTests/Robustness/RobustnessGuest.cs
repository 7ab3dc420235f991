using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using Turnstone.Bench.Engine;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests.Robustness;

/// <summary>
/// Freestanding PVH guests that misbehave on purpose (<see cref="RobustnessBehaviour"/>): a triple
/// fault, a spin with interrupts off, timers programmed with periods of nothing or of hours, and an
/// interrupt flood. Each loads an IDT (vectors 0-31 print <see cref="Exception"/> and halt with
/// interrupts off, every other vector EOIs the local APIC and the 8259 and returns), prints
/// <see cref="Ready"/> on COM1 once set up, and then misbehaves for as long as it is let.
/// </summary>
public static class RobustnessGuest
{
    public const string Ready = "robust:ready", Exception = "robust:EXCEPTION";

    public const byte TimerVector = 0x40, SelfIpiVector = 0x41, PicBaseVector = 0x20;

    private const uint LoadAddress = 0x10_0000;
    // 32-bit code has no RIP-relative operands, so everything sits at fixed addresses in the image.
    private const uint ExceptionHandlerAddress = LoadAddress + 0xC00, InterruptHandlerAddress = LoadAddress + 0xE00,
        ReturnHandlerAddress = LoadAddress + 0xF00;
    private const uint ReadyAddress = LoadAddress + 0x1000, ExceptionTextAddress = LoadAddress + 0x1100;
    private const uint IdtAddress = LoadAddress + 0x2000, IdtrAddress = LoadAddress + 0x2800, NullIdtrAddress = LoadAddress + 0x2810;
    private const uint InterruptCountAddress = LoadAddress + 0x2820, ImageEnd = LoadAddress + 0x2830, StackTop = LoadAddress + 0x4000;
    private const ushort Com1 = 0x3F8;
    private const int InvalidOpcodeVector = 6;

    private const uint LocalApicBase = 0xFEE0_0000;
    private const int ApicEoi = 0xB0, ApicSpuriousVector = 0xF0, ApicInterruptCommandLow = 0x300, ApicLvtTimer = 0x320,
        ApicInitialCount = 0x380, ApicDivide = 0x3E0;
    private const uint DivideBy1 = 0xB, DivideBy128 = 0xA, PeriodicMode = 1 << 17, TscDeadlineMode = 2 << 17;
    private const uint TscDeadlineMsr = 0x6E0;

    public static byte[] BuildElf(RobustnessBehaviour behaviour)
    {
        byte[] image = new byte[ImageEnd - LoadAddress];
        Place(image, LoadAddress, AssembleMain(behaviour), ExceptionHandlerAddress);
        Place(image, ExceptionHandlerAddress, AssembleExceptionHandler(), InterruptHandlerAddress);
        Place(image, InterruptHandlerAddress, AssembleInterruptHandler(), ReturnHandlerAddress);
        Place(image, ReturnHandlerAddress, [0xCF], ReadyAddress); // iretd
        Place(image, ReadyAddress, Encoding.ASCII.GetBytes(Ready + "\n\0"), ExceptionTextAddress);
        Place(image, ExceptionTextAddress, Encoding.ASCII.GetBytes(Exception + "\n\0"), IdtAddress);
        var idt = image.AsSpan((int)(IdtAddress - LoadAddress));
        for (int vector = 0; vector < 256; vector++)
        {
            uint handler = vector < 32 ? ExceptionHandlerAddress : InterruptHandlerAddress;
            if (behaviour == RobustnessBehaviour.FaultLoopWithInterruptsOff && vector == InvalidOpcodeVector)
            {
                handler = ReturnHandlerAddress;
            }
            var gate = idt[(vector * 8)..];
            BinaryPrimitives.WriteUInt16LittleEndian(gate, (ushort)handler);
            // The selector (gate bytes 2-3) is the entry's CS, which the guest fills in at run time.
            BinaryPrimitives.WriteUInt16LittleEndian(gate[4..], 0x8E00); // present, DPL 0, 32-bit interrupt gate
            BinaryPrimitives.WriteUInt16LittleEndian(gate[6..], (ushort)(handler >> 16));
        }
        var idtr = image.AsSpan((int)(IdtrAddress - LoadAddress));
        BinaryPrimitives.WriteUInt16LittleEndian(idtr, 256 * 8 - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(idtr[2..], IdtAddress);
        // The null IDTR (limit 0, base 0) and the interrupt count stay zero.
        return PvhElf.Build(image, LoadAddress, LoadAddress, memorySize: StackTop - LoadAddress);
    }

    private static void Place(byte[] image, uint address, byte[] bytes, uint limit)
    {
        if (address + bytes.Length > limit)
        {
            throw new InvalidOperationException($"the robustness guest's part at 0x{address:x} outgrew its room");
        }
        bytes.CopyTo(image, (int)(address - LoadAddress));
    }

    private static byte[] AssembleMain(RobustnessBehaviour behaviour)
    {
        var a = new Assembler(32);
        Label patch = a.CreateLabel(), print = a.CreateLabel(), forever = a.CreateLabel();

        a.mov(esp, StackTop);
        a.mov(ax, cs);
        a.mov(edi, IdtAddress + 2);
        a.mov(ecx, 256);
        a.Label(ref patch);
        a.mov(__word_ptr[edi], ax);
        a.add(edi, 8);
        a.dec(ecx);
        a.jnz(patch);
        a.mov(eax, IdtrAddress);
        a.lidt(__[eax]);
        a.mov(ebx, LocalApicBase);

        EmitSetUp(a, behaviour);

        a.mov(esi, ReadyAddress);
        a.Label(ref print); // the console flood comes back here
        BareGuestRoutines.EmitPrintLoop(a, Com1, forever);

        a.Label(ref forever); // also where the printing ends
        switch (behaviour)
        {
            case RobustnessBehaviour.TripleFault:
                a.mov(eax, NullIdtrAddress);
                a.lidt(__[eax]);
                a.ud2();
                break;
            case RobustnessBehaviour.SpinWithInterruptsOff:
                a.jmp(forever);
                break;
            case RobustnessBehaviour.FaultLoopWithInterruptsOff:
                a.ud2();
                break;
            case RobustnessBehaviour.InterruptFlood:
                a.mov(__dword_ptr[ebx + ApicInterruptCommandLow], 1u << 18 | SelfIpiVector); // fixed, to self
                a.jmp(forever);
                break;
            case RobustnessBehaviour.TscDeadlineFlood:
                a.mov(ecx, TscDeadlineMsr);
                a.mov(eax, 1u);
                a.xor(edx, edx);
                a.wrmsr();
                a.jmp(forever);
                break;
            case RobustnessBehaviour.TimerDueWithInterruptsOff:
                a.jmp(forever);
                break;
            case RobustnessBehaviour.ConsoleFlood:
                a.mov(esi, ReadyAddress);
                a.jmp(print);
                break;
            default:
                a.sti();
                a.hlt();
                a.jmp(forever);
                break;
        }
        return Assemble(a, LoadAddress);
    }

    /// <summary>The timers and controllers as <paramref name="behaviour"/> programs them; EBX holds the local APIC's base.</summary>
    private static void EmitSetUp(Assembler a, RobustnessBehaviour behaviour)
    {
        switch (behaviour)
        {
            case RobustnessBehaviour.TripleFault:
                break;
            case RobustnessBehaviour.SpinWithInterruptsOff or RobustnessBehaviour.ConsoleFlood or RobustnessBehaviour.FaultLoopWithInterruptsOff:
                a.cli();
                break;
            case RobustnessBehaviour.TimerDueWithInterruptsOff:
                a.cli();
                EmitApicTimer(a, PeriodicMode, DivideBy1, 1);
                break;
            case RobustnessBehaviour.ApicPeriodicCountZero:
                EmitApicTimer(a, PeriodicMode, DivideBy1, 0);
                break;
            case RobustnessBehaviour.ApicPeriodicCountOne:
                EmitApicTimer(a, PeriodicMode, DivideBy1, 1);
                break;
            case RobustnessBehaviour.ApicPeriodicHugeCount:
                EmitApicTimer(a, PeriodicMode, DivideBy128, uint.MaxValue);
                break;
            case RobustnessBehaviour.ApicOneShotHugeCount:
                EmitApicTimer(a, 0, DivideBy128, uint.MaxValue);
                break;
            case RobustnessBehaviour.TscDeadlineFarFuture:
                EmitTscDeadline(a, ulong.MaxValue);
                break;
            case RobustnessBehaviour.TscDeadlinePast:
                EmitTscDeadline(a, 1);
                break;
            case RobustnessBehaviour.PitRateGeneratorReloadZero:
                EmitPit(a, mode: 2, reload: 0);
                break;
            case RobustnessBehaviour.PitRateGeneratorReloadOne:
                EmitPit(a, mode: 2, reload: 1);
                break;
            case RobustnessBehaviour.PitSquareWaveReloadOne:
                EmitPit(a, mode: 3, reload: 1);
                break;
            case RobustnessBehaviour.InterruptFlood:
                EmitApicTimer(a, PeriodicMode, DivideBy1, 1);
                a.sti();
                break;
            case RobustnessBehaviour.TscDeadlineFlood:
                EmitEnableApic(a);
                a.mov(__dword_ptr[ebx + ApicLvtTimer], TscDeadlineMode | TimerVector);
                a.sti();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(behaviour), behaviour, null);
        }
    }

    private static void EmitEnableApic(Assembler a) => a.mov(__dword_ptr[ebx + ApicSpuriousVector], 0x1FFu); // enabled, spurious vector 0xFF

    private static void EmitApicTimer(Assembler a, uint mode, uint divide, uint initialCount)
    {
        EmitEnableApic(a);
        a.mov(__dword_ptr[ebx + ApicDivide], divide);
        a.mov(__dword_ptr[ebx + ApicLvtTimer], mode | TimerVector);
        a.mov(__dword_ptr[ebx + ApicInitialCount], initialCount);
    }

    private static void EmitTscDeadline(Assembler a, ulong deadline)
    {
        EmitEnableApic(a);
        a.mov(__dword_ptr[ebx + ApicLvtTimer], TscDeadlineMode | TimerVector);
        a.mov(ecx, TscDeadlineMsr);
        a.mov(eax, (uint)deadline);
        a.mov(edx, (uint)(deadline >> 32));
        a.wrmsr();
    }

    /// <summary>The 8259 pair at vectors 0x20/0x28 with only IRQ 0 unmasked (it reaches the CPU through LINT0 in
    /// virtual wire mode, as after reset), then PIT channel 0 in <paramref name="mode"/> with <paramref name="reload"/>.</summary>
    private static void EmitPit(Assembler a, int mode, ushort reload)
    {
        EmitEnableApic(a);
        foreach (var (port, value) in new (byte Port, byte Value)[]
                 {
                     (0x20, 0x11), (0x21, PicBaseVector), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE),
                     (0xA0, 0x11), (0xA1, PicBaseVector + 8), (0xA1, 0x02), (0xA1, 0x01), (0xA1, 0xFF),
                     (0x43, (byte)(0x30 | mode << 1)), // channel 0, low then high byte, binary
                     (0x40, (byte)reload), (0x40, (byte)(reload >> 8)),
                 })
        {
            a.mov(al, value);
            a.@out(port, al);
        }
    }

    private static byte[] AssembleExceptionHandler()
    {
        var a = new Assembler(32);
        Label printed = a.CreateLabel();
        a.mov(esi, ExceptionTextAddress);
        BareGuestRoutines.EmitPrintLoop(a, Com1, printed);
        a.Label(ref printed);
        a.cli();
        a.hlt(); // with interrupts off: the monitor ends the run with an error naming the halt
        return Assemble(a, ExceptionHandlerAddress);
    }

    private static byte[] AssembleInterruptHandler()
    {
        var a = new Assembler(32);
        a.push(eax);
        a.mov(eax, LocalApicBase);
        a.mov(__dword_ptr[eax + ApicEoi], 0u);
        a.mov(al, 0x20); // non-specific EOI to the master 8259 (harmless when nothing is in service there)
        a.@out(0x20, al);
        a.mov(eax, InterruptCountAddress);
        a.inc(__dword_ptr[eax]);
        a.pop(eax);
        a.iretd();
        return Assemble(a, InterruptHandlerAddress);
    }

    private static byte[] Assemble(Assembler a, uint address)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }
}
