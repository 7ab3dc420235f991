using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests.Bios;

/// <summary>
/// A two-sector disk whose MBR, assembled here with Iced, exercises the BIOS the way a boot loader
/// does: it checks it was entered with DL = 80h, asks for the EDD extensions (INT 13h 41h), reads
/// sector 1 through an INT 13h 42h packet and prints the text it holds, waits for five timer
/// interrupts with HLT and checks the BDA tick count at 0x46C moved by at least that much (IRQ0
/// and its handler work), then powers off through the ACPI PM1a control register. It prints on
/// COM1 (port 0x3F8), which needs no BIOS service. Any failed check prints "FAIL: ..." and powers off.
/// </summary>
internal static class BootSectorGuest
{
    public const string Greeting = "boot sector entered";
    public const string SecondSectorText = "sector 1 read through INT 13h AH=42h";
    public const int TimerWaits = 5;

    private const ushort Origin = 0x7C00;
    // Data inside the boot sector, at fixed addresses the code names as immediates.
    private const ushort GreetingAt = 0x7D00, DriveOkAt = 0x7D20, EddOkAt = 0x7D30, TicksOkAt = 0x7D40, FailAt = 0x7D50, PacketAt = 0x7DA0;
    private const ushort TickStartAt = 0x0600, ReadBuffer = 0x8000;
    private const ushort Com1 = 0x3F8, Pm1aControl = 0x604, SoftOff = (5 << 10) | 0x2000;

    /// <summary>The disk image: the boot sector (with or without its 55h AAh signature) and sector 1.</summary>
    public static byte[] Image(bool bootSignature = true)
    {
        var image = new byte[1024];
        byte[] code = Code();
        if (code.Length > GreetingAt - Origin)
        {
            throw new InvalidOperationException($"the boot sector's code is {code.Length} bytes; its data starts at 0x{GreetingAt - Origin:x}");
        }
        code.CopyTo(image, 0);
        Text($"{Greeting}\n").CopyTo(image, GreetingAt - Origin);
        Text("dl=80h ok\n").CopyTo(image, DriveOkAt - Origin);
        Text("edd ok\n").CopyTo(image, EddOkAt - Origin);
        Text("ticks ok\n").CopyTo(image, TicksOkAt - Origin);
        Text("FAIL: a BIOS check\n").CopyTo(image, FailAt - Origin);
        // EDD packet: size 16, count 1, buffer 0000:8000, LBA 1.
        byte[] packet = [0x10, 0, 1, 0, ReadBuffer & 0xFF, ReadBuffer >> 8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        packet.CopyTo(image, PacketAt - Origin);
        if (bootSignature)
        {
            image[510] = 0x55;
            image[511] = 0xAA;
        }
        Text($"{SecondSectorText}\n").CopyTo(image, 512);
        return image;
    }

    private static byte[] Text(string text) => Encoding.ASCII.GetBytes(text + "\0");

    private static byte[] Code()
    {
        var a = new Assembler(16);
        Label fail = a.CreateLabel(), print = a.CreateLabel(), printDone = a.CreateLabel();
        Label wait = a.CreateLabel(), powerOff = a.CreateLabel(), hang = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.sti();
        a.mov(__byte_ptr[0x0602], dl);
        a.mov(si, GreetingAt);
        a.call(print);
        a.cmp(__byte_ptr[0x0602], 0x80);
        a.jne(fail);
        a.mov(si, DriveOkAt);
        a.call(print);

        a.mov(ah, 0x41);
        a.mov(bx, 0x55AA);
        a.mov(dl, 0x80);
        a.@int(0x13);
        a.jc(fail);
        a.cmp(bx, 0xAA55);
        a.jne(fail);
        a.mov(si, EddOkAt);
        a.call(print);

        a.mov(si, PacketAt);
        a.mov(ah, 0x42);
        a.mov(dl, 0x80);
        a.@int(0x13);
        a.jc(fail);
        a.mov(si, ReadBuffer);
        a.call(print);

        a.mov(ax, __word_ptr[0x046C]);
        a.mov(__word_ptr[TickStartAt], ax);
        a.mov(cx, TimerWaits);
        a.Label(ref wait);
        a.hlt();
        a.loop(wait);
        a.mov(ax, __word_ptr[0x046C]);
        a.sub(ax, __word_ptr[TickStartAt]);
        a.cmp(ax, TimerWaits);
        a.jb(fail);
        a.mov(si, TicksOkAt);
        a.call(print);
        a.jmp(powerOff);

        a.Label(ref fail);
        a.mov(si, FailAt);
        a.call(print);
        a.Label(ref powerOff);
        a.mov(dx, Pm1aControl);
        a.mov(ax, SoftOff);
        a.@out(dx, ax);
        a.Label(ref hang);
        a.hlt();
        a.jmp(hang);

        // print: the NUL-terminated string at DS:SI to COM1.
        a.Label(ref print);
        BareGuestRoutines.EmitPrintLoop(a, Com1, printDone);
        a.Label(ref printDone);
        a.ret();

        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Origin);
        return stream.ToArray();
    }
}
