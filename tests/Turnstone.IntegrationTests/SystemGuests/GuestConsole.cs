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
    public void Value(string label, AssemblerRegister64 register) => Value(label, () =>
    {
        if (register == rsp)
        {
            a.lea(rax, __[rsp + 8]); // RSP before the push of RAX
        }
        else if (register != rax)
        {
            a.mov(rax, register);
        }
    });

    /// <summary>In 64-bit code the value is zero-extended and printed with 16 digits.</summary>
    public void Value(string label, AssemblerRegister32 register) => Value(label, () =>
    {
        if (Bitness == 64)
        {
            a.mov(eax, register);
        }
        else if (register == esp)
        {
            a.lea(eax, __[esp + 4]);
        }
        else if (register != eax)
        {
            a.mov(eax, register);
        }
    });

    public void Value(string label, AssemblerRegister16 register) => Value(label, () =>
    {
        if (register == sp)
        {
            a.mov(ax, sp);
            a.add(ax, 2);
        }
        else if (register != ax)
        {
            a.mov(ax, register);
        }
    });

    /// <summary>Prints the 64-bit value at a memory operand (64-bit code; not relative to RSP, which the line moves).</summary>
    public void Value(string label, AssemblerMemoryOperand memory) => Value(label, () => a.mov(rax, memory));

    /// <summary>The line around <paramref name="loadAccumulator"/>, which puts the value into the
    /// accumulator of the section's width with the accumulator already saved on the stack.</summary>
    private void Value(string label, Action loadAccumulator)
    {
        Print(label + "=");
        PushAccumulator();
        loadAccumulator();
        a.call(_hex);
        PopAccumulator();
        Print("\n");
    }

    private void PushAccumulator()
    {
        switch (Bitness)
        {
            case 64: a.push(rax); break;
            case 32: a.push(eax); break;
            default: a.push(ax); break;
        }
    }

    private void PopAccumulator()
    {
        switch (Bitness)
        {
            case 64: a.pop(rax); break;
            case 32: a.pop(eax); break;
            default: a.pop(ax); break;
        }
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
