using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// From 32-bit protected mode down to a 16-bit protected-mode segment, to real mode (segment
/// arithmetic, 16-bit address wrap, 32-bit operands by prefix, INT n through the IVT and IRET,
/// PUSHA/POPA) and back up to protected mode and long mode, as boot loaders and Linux's real-mode
/// set-up code move between them.
/// </summary>
public static class RealModeGuest
{
    private const uint RealMode = Code16 + 0x100, InterruptHandler = Code16 + 0xC00;
    private const ushort RealStackTop = 0x6F00;

    public static byte[] Build()
    {
        var image = new SystemGuestImage();
        image.Section(Entry32, 32, Resume32, (a, c) =>
        {
            GuestPrologue.Start32(a);
            c.Print("32: protected mode, going down to real mode\n");
            a.cld();
            a.mov(esi, Code16Image);
            a.mov(edi, Code16);
            a.mov(ecx, Code16Size / 4);
            a.rep.movsd();
            a.lidt(__[IvtPointer]);
            a.jmp(Code16Selector, Code16);
        });
        image.Section(Code16, Code16Image, 16, RealMode, (a, c) =>
        {
            a.mov(ax, Data16Selector);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(sp, RealStackTop);
            c.Print("16: 16-bit protected mode\n");
            a.mov(eax, cr0);
            a.and(eax, ~1);
            a.mov(cr0, eax);
            a.jmp(0, RealMode);
        });
        image.Section(RealMode, Code16Image + (RealMode - Code16), 16, InterruptHandler, (a, c) =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(sp, RealStackTop);
            c.Print("16: real mode\n");
            a.mov(__word_ptr[0x42 * 4], (ushort)InterruptHandler);
            a.mov(__word_ptr[0x42 * 4 + 2], (ushort)0);
            a.mov(bx, 0);
            a.mov(cx, 0x1111);
            a.@int(0x42);
            c.Value("16: bx set by the int 42h handler", bx);
            c.Value("16: sp after iret", sp);

            a.mov(ax, 0x1F00);
            a.mov(es, ax);
            a.mov(__word_ptr.es[0x10], 0xBEEF);
            a.mov(ax, 0x1F01);
            a.mov(ds, ax);
            a.mov(ax, __word_ptr[0]);
            c.Value("16: 1F00:0010 read as 1F01:0000", ax);
            a.mov(ax, 0x2000);
            a.mov(ds, ax);
            a.mov(__byte_ptr[1], 0x5A);
            a.mov(bx, 0xFFFF);
            a.mov(al, __byte_ptr[bx + 2]);
            a.xor(ah, ah);
            c.Value("16: [bx+2] with bx=ffff wraps to offset 1", ax);
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(es, ax);

            a.mov(eax, 0x1234_5678);
            a.mov(ebx, 0x1000_0000);
            a.add(eax, ebx);
            a.shr(eax, 16);
            c.Value("16: 32-bit add by operand-size prefix, high half", ax);
            a.mov(ax, 0xFFFF);
            a.add(ax, 1);
            a.pushf();
            a.pop(dx);
            c.Value("16: flags after ffff+1", dx);
            a.mov(ax, 1);
            a.mov(cx, 2);
            a.mov(dx, 3);
            a.mov(bx, 4);
            a.mov(bp, 5);
            a.mov(si, 6);
            a.mov(di, 7);
            a.pusha();
            a.mov(ax, sp);
            c.Value("16: sp after pusha", ax);
            a.xor(ax, ax);
            a.xor(di, di);
            a.popa();
            c.Value("16: di after popa", di);
            c.Value("16: ax after popa", ax);
            a.mov(di, 0x500);
            a.mov(ax, 0xABCD);
            a.mov(cx, 3);
            a.cld();
            a.rep.stosw();
            a.mov(ax, __word_ptr[0x504]);
            c.Value("16: rep stosw", ax);
            c.Value("16: di after", di);

            // GDTR still holds the table loaded in protected mode.
            a.mov(eax, cr0);
            a.or(eax, 1);
            a.mov(cr0, eax);
            // jmp far 0x18:Resume32, the 32-bit offset form (operand-size prefix): Iced would truncate it to 16 bits
            a.db([0x66, 0xEA, .. BitConverter.GetBytes(Resume32), .. BitConverter.GetBytes(Code32Selector)]);
        });
        image.Section(InterruptHandler, Code16Image + (InterruptHandler - Code16), 16, Code16 + Code16Size, (a, c) =>
        {
            c.Print("16: in the int 42h handler\n");
            a.mov(ax, sp);
            c.Value("16: sp in the handler", ax);
            a.mov(bp, sp);
            a.mov(ax, __word_ptr[bp]);
            c.Value("16: return ip", ax);
            a.mov(bx, 0x4242);
            a.iret();
        });
        image.Section(Resume32, 32, Code64, (a, c) =>
        {
            GuestPrologue.LoadDataSegments32(a);
            c.Print("32: back in protected mode\n");
            GuestPrologue.EnterLongMode(a);
        });
        image.Section(Code64, 64, Code16Image, (a, c) =>
        {
            GuestPrologue.Start64(a);
            c.Print("64: long mode after real mode\n");
            c.Reset();
        });
        return image.BuildElf();
    }
}
