using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// 32-bit protected mode (segment bases, 16- and 32-bit operand sizes, flags), the switch into long
/// mode through PAE paging and a far jump, 64-bit arithmetic, and a round trip through
/// compatibility mode by RETFQ and a far jump back.
/// </summary>
public static class ModeSwitchGuest
{
    private const uint Code64Resume = Code64 + 0x1000;

    public static byte[] Build()
    {
        var image = new SystemGuestImage();
        image.Section(Entry32, 32, Resume32, (a, c) =>
        {
            GuestPrologue.Start32(a);
            c.Print("32: protected mode\n");
            a.mov(ax, BasedDataSelector);
            a.mov(es, ax);
            a.mov(__dword_ptr.es[0x10], 0x1234_5678);
            a.mov(eax, __dword_ptr[TestPages + 0x10]);
            c.Value("32: es-based store read back flat", eax);
            a.mov(ax, DataSelector);
            a.mov(es, ax);

            a.mov(eax, 0x89AB_CDEF);
            a.mov(ebx, 0x7654_3211);
            a.add(eax, ebx);
            a.pushfd();
            a.pop(ecx);
            c.Value("32: add", eax);
            c.Value("32: flags", ecx);
            a.mov(eax, 0x1234_FFFF);
            a.inc(ax);
            a.pushfd();
            a.pop(ecx);
            c.Value("32: inc ax", eax);
            c.Value("32: flags", ecx);
            a.mov(ax, 0x8001);
            a.mov(bx, 0x8002);
            a.add(ax, bx);
            a.adc(ax, 0x10);
            a.pushfd();
            a.pop(ecx);
            c.Value("32: 16-bit add/adc", eax);
            c.Value("32: flags", ecx);
            a.mov(eax, 0xFFFF_FFF0);
            a.mov(ebx, 0x1000);
            a.imul(ebx);
            c.Value("32: imul edx", edx);
            c.Value("32: imul eax", eax);
            a.mov(ecx, 0xF0);
            a.movsx(eax, cl);
            a.movzx(edx, cx);
            a.shl(eax, 4);
            a.sar(edx, 3);
            c.Value("32: movsx/shl", eax);
            c.Value("32: movzx/sar", edx);
            a.mov(edx, esp);
            a.push(ax);
            a.mov(ecx, esp);
            a.pop(ax);
            a.sub(edx, ecx);
            c.Value("32: 16-bit push moves esp by", edx);
            a.mov(esi, TestPages + 0x10);
            a.mov(edi, TestPages + 0x20);
            a.mov(ecx, 4);
            a.rep.movsb();
            a.mov(eax, __dword_ptr[TestPages + 0x20]);
            c.Value("32: rep movsb", eax);
            c.Value("32: esi after", esi);
            GuestPrologue.EnterLongMode(a);
        });
        image.Section(Code64, 64, Code64Resume, (a, c) =>
        {
            GuestPrologue.Start64(a);
            c.Print("64: long mode\n");
            a.mov(ecx, 0xC000_0080);
            a.rdmsr();
            c.Value("64: efer", eax);
            a.mov(rax, 0x0123_4567_89AB_CDEF);
            a.rol(rax, 12);
            a.mov(rbx, 0xFFFF_FFFF_0000_0001);
            a.mul(rbx);
            c.Value("64: mul rdx", rdx);
            c.Value("64: mul rax", rax);
            a.mov(r8, -5);
            a.mov(r9, 3);
            a.mov(rax, r8);
            a.cqo();
            a.idiv(r9);
            c.Value("64: idiv quotient", rax);
            c.Value("64: idiv remainder", rdx);
            a.mov(rax, 0x10);
            a.mov(__qword_ptr[TestPages + 0x30], rax);
            a.mov(ebx, __dword_ptr[TestPages + 0x30]); // zero-extends into rbx
            a.mov(rcx, -1L);
            a.mov(ecx, ebx);
            c.Value("64: 32-bit write zero-extends", rcx);
            a.mov(esp, KernelStackTop); // a 32-bit stack pointer for compatibility mode
            GuestPrologue.FarReturn64(a, Code32Selector, Compat32);
        });
        image.Section(Compat32, 32, Code16Image, (a, c) =>
        {
            c.Print("compat: 32-bit code in long mode\n");
            a.mov(eax, 0xFFFF_FFFF);
            a.add(eax, 2);
            a.pushfd();
            a.pop(ecx);
            c.Value("compat: add wraps at 32 bits", eax);
            c.Value("compat: flags", ecx);
            a.mov(ax, cs);
            a.movzx(eax, ax);
            c.Value("compat: cs", eax);
            a.jmp(Code64Selector, Code64Resume);
        });
        image.Section(Code64Resume, 64, Compat32, (a, c) =>
        {
            a.mov(rsp, KernelStackTop);
            a.mov(ax, cs);
            a.movzx(eax, ax);
            c.Value("64: back from compatibility mode, cs", rax);
            c.Reset();
        });
        return image.BuildElf();
    }
}
