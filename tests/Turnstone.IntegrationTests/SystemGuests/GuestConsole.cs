using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// Printing to COM1 from a guest section of any bitness: text and hexadecimal values, one line per
/// fact checked, so QEMU's output and ours compare line by line. Every macro preserves the guest's
/// registers and flags apart from what the line says; the routines are emitted at the section's end.
/// 16-bit code prints text by immediates (its strings would sit above real mode's reach).
/// </summary>
public sealed class GuestConsole(Assembler a, SystemGuestImage image)
{
    private Label _puts = a.CreateLabel(), _hex = a.CreateLabel();
    private int Bitness => a.Bitness;

    /// <summary>Prints <paramref name="text"/>.</summary>
    public void Print(string text)
    {
        if (Bitness == 16)
        {
            a.pushf();
            a.push(ax);
            a.push(dx);
            a.mov(dx, SystemGuestLayout.Com1);
            foreach (char c in text)
            {
                a.mov(al, (byte)c);
                a.@out(dx, al);
            }
            a.pop(dx);
            a.pop(ax);
            a.popf();
            return;
        }
        uint address = image.String(text);
        if (Bitness == 64)
        {
            a.push(rsi);
            a.mov(esi, address);
            a.call(_puts);
            a.pop(rsi);
        }
        else
        {
            a.push(esi);
            a.mov(esi, address);
            a.call(_puts);
            a.pop(esi);
        }
    }

    /// <summary>Prints "<paramref name="label"/>=" and the register's value in hex (its full width), then a newline.</summary>
    public void Value(string label, AssemblerRegister64 register)
    {
        Print(label + "=");
        a.push(rax);
        if (register == rsp)
        {
            a.lea(rax, __[rsp + 8]);
        }
        else if (register != rax)
        {
            a.mov(rax, register);
        }
        a.call(_hex);
        a.pop(rax);
        Print("\n");
    }

    /// <summary>In 64-bit code the value is zero-extended and printed with 16 digits.</summary>
    public void Value(string label, AssemblerRegister32 register)
    {
        if (Bitness == 64)
        {
            Print(label + "=");
            a.push(rax);
            a.mov(eax, register);
            a.call(_hex);
            a.pop(rax);
            Print("\n");
            return;
        }
        Print(label + "=");
        a.push(eax);
        if (register == esp)
        {
            a.lea(eax, __[esp + 4]);
        }
        else if (register != eax)
        {
            a.mov(eax, register);
        }
        a.call(_hex);
        a.pop(eax);
        Print("\n");
    }

    public void Value(string label, AssemblerRegister16 register)
    {
        Print(label + "=");
        a.push(ax);
        if (register == sp)
        {
            a.mov(ax, sp);
            a.add(ax, 2);
        }
        else if (register != ax)
        {
            a.mov(ax, register);
        }
        a.call(_hex);
        a.pop(ax);
        Print("\n");
    }

    /// <summary>Prints the 64-bit value at a memory operand (64-bit code).</summary>
    public void Value(string label, AssemblerMemoryOperand memory)
    {
        Print(label + "=");
        a.push(rax);
        a.mov(rax, memory);
        a.call(_hex);
        a.pop(rax);
        Print("\n");
    }

    /// <summary>Resets the machine through the i8042, as the end of every guest (QEMU runs with -no-reboot).</summary>
    public void Reset()
    {
        Print("done\n");
        a.mov(al, 0xFE);
        a.@out(0x64, al);
        Label spin = a.CreateLabel();
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);
    }

    internal void EmitRoutines()
    {
        Label more = a.CreateLabel(), done = a.CreateLabel(), digit = a.CreateLabel(), decimalDigit = a.CreateLabel();
        switch (Bitness)
        {
            case 64:
                a.Label(ref _puts); // RSI: NUL-terminated text
                a.pushfq();
                a.push(rax);
                a.push(rdx);
                a.mov(dx, SystemGuestLayout.Com1);
                a.Label(ref more);
                a.lodsb();
                a.test(al, al);
                a.jz(done);
                a.@out(dx, al);
                a.jmp(more);
                a.Label(ref done);
                a.pop(rdx);
                a.pop(rax);
                a.popfq();
                a.ret();
                a.Label(ref _hex); // RAX: 16 digits
                a.pushfq();
                a.push(rax);
                a.push(rbx);
                a.push(rcx);
                a.push(rdx);
                a.mov(rbx, rax);
                a.mov(ecx, 16);
                a.mov(dx, SystemGuestLayout.Com1);
                a.Label(ref digit);
                a.rol(rbx, 4);
                a.mov(al, bl);
                EmitDigit(decimalDigit);
                a.dec(ecx);
                a.jnz(digit);
                a.pop(rdx);
                a.pop(rcx);
                a.pop(rbx);
                a.pop(rax);
                a.popfq();
                a.ret();
                break;
            case 32:
                a.Label(ref _puts);
                a.pushfd();
                a.push(eax);
                a.push(edx);
                a.mov(dx, SystemGuestLayout.Com1);
                a.Label(ref more);
                a.lodsb();
                a.test(al, al);
                a.jz(done);
                a.@out(dx, al);
                a.jmp(more);
                a.Label(ref done);
                a.pop(edx);
                a.pop(eax);
                a.popfd();
                a.ret();
                a.Label(ref _hex); // EAX: 8 digits
                a.pushfd();
                a.pushad();
                a.mov(ebx, eax);
                a.mov(ecx, 8);
                a.mov(dx, SystemGuestLayout.Com1);
                a.Label(ref digit);
                a.rol(ebx, 4);
                a.mov(al, bl);
                EmitDigit(decimalDigit);
                a.dec(ecx);
                a.jnz(digit);
                a.popad();
                a.popfd();
                a.ret();
                break;
            default:
                a.Label(ref _puts);
                a.ret();
                a.Label(ref _hex); // AX: 4 digits
                a.pushf();
                a.push(ax);
                a.push(bx);
                a.push(cx);
                a.push(dx);
                a.mov(bx, ax);
                a.mov(cx, 4);
                a.mov(dx, SystemGuestLayout.Com1);
                a.Label(ref digit);
                a.rol(bx, 4);
                a.mov(al, bl);
                EmitDigit(decimalDigit);
                a.dec(cx);
                a.jnz(digit);
                a.pop(dx);
                a.pop(cx);
                a.pop(bx);
                a.pop(ax);
                a.popf();
                a.ret();
                break;
        }
    }

    /// <summary>AL's low nibble as an ASCII hex digit, written to the port in DX.</summary>
    private void EmitDigit(Label decimalDigit)
    {
        a.and(al, 0xF);
        a.add(al, (byte)'0');
        a.cmp(al, (byte)'9');
        a.jbe(decimalDigit);
        a.add(al, 7);
        a.Label(ref decimalDigit);
        a.@out(dx, al);
    }
}
