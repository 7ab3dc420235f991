using Iced.Intel;
using Turnstone.GuestMemory;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// The BIOS's guest-side code, assembled with Iced at start-up into the 64 KiB F segment
/// (<see cref="BiosStubLayout"/>), and the real-mode IVT that points into it: trap stubs for the
/// vectors the monitor serves in C#, the IRQ0 handler that keeps the BDA tick count and chains
/// INT 1Ch, default IRQ handlers that acknowledge the PIC, and POST, which leaves the PIC pair and
/// the PIT as SeaBIOS does and bootstraps through INT 19h.
/// </summary>
public sealed class BiosRomImage
{
    private const byte PicEndOfInterrupt = 0x20;
    private const byte MasterPicCommand = 0x20, MasterPicData = 0x21, SlavePicCommand = 0xA0, SlavePicData = 0xA1;
    private const byte PitChannel0 = 0x40, PitCommand = 0x43;

    private BiosRomImage(byte[] rom, IReadOnlyList<byte> trapVectors, ushort post, ushort irq0, ushort masterEoi, ushort slaveEoi, ushort iret)
    {
        Rom = rom;
        TrapVectors = trapVectors;
        PostOffset = post;
        Irq0HandlerOffset = irq0;
        MasterIrqHandlerOffset = masterEoi;
        SlaveIrqHandlerOffset = slaveEoi;
        IretOffset = iret;
    }

    /// <summary>The F segment's 64 KiB, for physical 0xF0000.</summary>
    public byte[] Rom { get; }

    /// <summary>The vectors whose IVT entry points at their trap stub.</summary>
    public IReadOnlyList<byte> TrapVectors { get; }

    public ushort PostOffset { get; }
    public ushort Irq0HandlerOffset { get; }
    public ushort MasterIrqHandlerOffset { get; }
    public ushort SlaveIrqHandlerOffset { get; }
    public ushort IretOffset { get; }

    /// <summary>
    /// Assembles the ROM. Every vector gets a trap slot (slot N at N * 16, so the vector follows from
    /// IP alone); the IVT sends <paramref name="trapVectors"/> to theirs.
    /// </summary>
    public static BiosRomImage Build(IEnumerable<byte> trapVectors)
    {
        var traps = trapVectors.Distinct().Order().ToArray();
        var rom = new byte[BiosStubLayout.RomSize];
        byte[] stub = AssembleTrapStub();
        for (int vector = 0; vector < BiosStubLayout.VectorCount; vector++)
        {
            stub.CopyTo(rom, BiosStubLayout.TrapSlotOffset((byte)vector));
        }

        var a = new Assembler(16);
        Label irq0 = a.CreateLabel(), master = a.CreateLabel(), slave = a.CreateLabel(), iret = a.CreateLabel(), post = a.CreateLabel();
        EmitIrq0Handler(a, ref irq0);
        a.Label(ref master);
        a.push(ax);
        a.mov(al, PicEndOfInterrupt);
        a.@out(MasterPicCommand, al);
        a.pop(ax);
        a.iret();
        a.Label(ref slave);
        a.push(ax);
        a.mov(al, PicEndOfInterrupt);
        a.@out(SlavePicCommand, al);
        a.@out(MasterPicCommand, al);
        a.pop(ax);
        a.iret();
        a.Label(ref iret);
        a.iret();
        EmitPost(a, ref post);
        var handlers = Assemble(a, BiosStubLayout.HandlersOffset, out var result);
        if (BiosStubLayout.HandlersOffset + handlers.Length > BiosStubLayout.HandlersLimit)
        {
            throw new InvalidOperationException($"the BIOS handlers ({handlers.Length} bytes) run into F000:{BiosStubLayout.HandlersLimit:X4}, kept for fixed-address tables");
        }
        handlers.CopyTo(rom, BiosStubLayout.HandlersOffset);
        ushort Offset(Label label) => (ushort)result.GetLabelRIP(label);
        ushort postOffset = Offset(post);

        var reset = new Assembler(16);
        reset.jmp(BiosStubLayout.RomSegment, postOffset);
        Assemble(reset, BiosStubLayout.ResetVectorOffset, out _).CopyTo(rom, BiosStubLayout.ResetVectorOffset);
        return new BiosRomImage(rom, traps, postOffset, Offset(irq0), Offset(master), Offset(slave), Offset(iret));
    }

    /// <summary>
    /// <c>trap: out FirmwareCallPort, al; jnc done; sti; hlt; jmp trap; done: iret</c>, padded with
    /// NOPs to a slot. Only relative branches, so the same bytes work in every slot. The monitor
    /// sets the live CF when the service asked to wait (<see cref="BiosCall.WaitAndRetry"/>): the
    /// stub then halts with interrupts on until the next one and traps again.
    /// </summary>
    internal static byte[] AssembleTrapStub()
    {
        byte[] bare = AssembleTrapStub(0);
        byte[] stub = AssembleTrapStub(BiosStubLayout.TrapSlotSize - bare.Length);
        if (stub.Length != BiosStubLayout.TrapSlotSize)
        {
            throw new InvalidOperationException($"a BIOS trap stub is {bare.Length} bytes; a slot holds {BiosStubLayout.TrapSlotSize}");
        }
        return stub;
    }

    private static byte[] AssembleTrapStub(int padding)
    {
        var a = new Assembler(16);
        Label trap = a.CreateLabel(), done = a.CreateLabel();
        a.Label(ref trap);
        a.@out((byte)BiosStubLayout.FirmwareCallPort, al);
        a.jnc(done);
        a.sti();
        a.hlt();
        a.jmp(trap);
        a.Label(ref done);
        a.iret();
        for (int i = 0; i < padding; i++)
        {
            a.nop();
        }
        return Assemble(a, 0, out _);
    }

    /// <summary>
    /// INT 08h: the 32-bit tick count at 0040:006C goes up by one and wraps to 0 at a day's ticks
    /// (0x1800B0) with the midnight flag at 0040:0070 counted up, as SeaBIOS's handle_08 does; then
    /// INT 1Ch (the user hook), then the EOI. Only DS and AX are used, and saved.
    /// </summary>
    private static void EmitIrq0Handler(Assembler a, ref Label irq0)
    {
        Label rollover = a.CreateLabel(), chain = a.CreateLabel();
        const ushort low = (ushort)BiosStubLayout.TickCountAddress, high = low + 2;
        a.Label(ref irq0);
        a.push(ds);
        a.push(ax);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.add(__word_ptr[low], 1);
        a.adc(__word_ptr[high], 0);
        a.cmp(__word_ptr[high], (ushort)(BiosStubLayout.TicksPerDay >> 16));
        a.jb(chain);
        a.ja(rollover);
        a.cmp(__word_ptr[low], (ushort)(BiosStubLayout.TicksPerDay & 0xFFFF));
        a.jb(chain);
        a.Label(ref rollover);
        a.mov(__word_ptr[low], 0);
        a.mov(__word_ptr[high], 0);
        a.inc(__byte_ptr[(ushort)BiosStubLayout.MidnightFlagAddress]);
        a.Label(ref chain);
        a.@int(BiosStubLayout.UserTimerTickVector);
        a.mov(al, PicEndOfInterrupt);
        a.@out(MasterPicCommand, al);
        a.pop(ax);
        a.pop(ds);
        a.iret();
    }

    /// <summary>
    /// POST: a stack at 0000:7C00, the 8259 pair initialised with IRQ 0-7 at INT 08h and IRQ 8-15
    /// at INT 70h (cascade on IRQ 2, 8086 mode) and only IRQ 0 and 2 unmasked, PIT channel 0 in
    /// mode 2 with count 0 (65536: 18.2 Hz), interrupts on, then INT 19h. INT 19h does not come
    /// back here: it enters the boot sector by rewriting its own INT frame, or stops the machine;
    /// INT 18h (boot failure) follows in case a guest's hook returns.
    /// </summary>
    private static void EmitPost(Assembler a, ref Label post)
    {
        Label hang = a.CreateLabel();
        a.Label(ref post);
        a.cli();
        a.cld();
        a.xor(ax, ax);
        a.mov(ss, ax);
        a.mov(sp, BiosStubLayout.PostStackPointer);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(al, 0x11); // ICW1: edge triggered, cascade, ICW4 follows
        a.@out(MasterPicCommand, al);
        a.@out(SlavePicCommand, al);
        a.mov(al, BiosStubLayout.MasterPicVectorBase);
        a.@out(MasterPicData, al);
        a.mov(al, BiosStubLayout.SlavePicVectorBase);
        a.@out(SlavePicData, al);
        a.mov(al, 0x04); // ICW3 master: a slave on IRQ 2
        a.@out(MasterPicData, al);
        a.mov(al, 0x02); // ICW3 slave: its identity, 2
        a.@out(SlavePicData, al);
        a.mov(al, 0x01); // ICW4: 8086 mode
        a.@out(MasterPicData, al);
        a.@out(SlavePicData, al);
        a.mov(al, 0xFA); // OCW1: IRQ 0 and 2 unmasked
        a.@out(MasterPicData, al);
        a.mov(al, 0xFF);
        a.@out(SlavePicData, al);
        a.mov(al, 0x34); // channel 0, low then high byte, mode 2, binary
        a.@out(PitCommand, al);
        a.xor(al, al);
        a.@out(PitChannel0, al);
        a.@out(PitChannel0, al);
        a.sti();
        a.@int(0x19);
        a.@int(0x18);
        a.Label(ref hang);
        a.cli();
        a.hlt();
        a.jmp(hang);
    }

    private static byte[] Assemble(Assembler a, ulong ip, out AssemblerResult result)
    {
        using var stream = new MemoryStream();
        result = a.Assemble(new StreamCodeWriter(stream), ip, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return stream.ToArray();
    }

    /// <summary>The IVT: trap vectors to their stubs, IRQ 0 to the tick handler, the other PIC
    /// vectors to handlers that send the EOI, everything else (INT 1Ch included) to a bare IRET.</summary>
    public byte[] InterruptVectorTable()
    {
        var ivt = new byte[BiosStubLayout.VectorCount * 4];
        for (int vector = 0; vector < BiosStubLayout.VectorCount; vector++)
        {
            ushort offset = IretOffset;
            if (vector == BiosStubLayout.MasterPicVectorBase)
            {
                offset = Irq0HandlerOffset;
            }
            else if (vector is > BiosStubLayout.MasterPicVectorBase and < BiosStubLayout.MasterPicVectorBase + 8)
            {
                offset = MasterIrqHandlerOffset;
            }
            else if (vector is >= BiosStubLayout.SlavePicVectorBase and < BiosStubLayout.SlavePicVectorBase + 8)
            {
                offset = SlaveIrqHandlerOffset;
            }
            if (TrapVectors.Contains((byte)vector))
            {
                offset = BiosStubLayout.TrapSlotOffset((byte)vector);
            }
            BitConverter.TryWriteBytes(ivt.AsSpan(vector * 4), offset);
            BitConverter.TryWriteBytes(ivt.AsSpan(vector * 4 + 2), BiosStubLayout.RomSegment);
        }
        return ivt;
    }

    /// <summary>Writes the ROM at 0xF0000 and the IVT at 0: the whole F segment, so tables that live
    /// in it (INT 15h C0h's) are written after this.</summary>
    public void WriteTo(IGuestMemory memory)
    {
        memory.Write(BiosStubLayout.RomBase, Rom);
        memory.Write(BiosStubLayout.InterruptVectorTable, InterruptVectorTable());
    }
}
