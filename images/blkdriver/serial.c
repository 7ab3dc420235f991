/*
 * COM1 (0x3F8) output, polled. The lines it carries are the program's only
 * result, read by `turnstone bench` and by people, so there is no buffering
 * to lose at power-off. Port I/O works at CPL 3 because IOPL is 3.
 */
#include "blkdriver.h"

#define COM1 0x3F8

void serial_init(void)
{
	outb(COM1 + 1, 0x00);       /* no UART interrupts */
	outb(COM1 + 3, 0x80);       /* DLAB */
	outb(COM1 + 0, 0x01);       /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);       /* 8N1 */
	outb(COM1 + 2, 0x07);       /* FIFO on, cleared */
	outb(COM1 + 4, 0x03);       /* DTR, RTS */
}

void put_char(char c)
{
	if (c == '\n') put_char('\r');
	/* THR empty. Bounded: a UART model that never sets it must not hang
	 * the guest (the byte is written anyway). */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++) cpu_relax();
	outb(COM1, (u8)c);
}

void put_str(const char *s)
{
	while (*s) put_char(*s++);
}

void put_dec(u64 v)
{
	char buf[21];
	int i = 20;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(buf + i);
}

void put_hex(u64 v)
{
	char buf[19];
	int i = 18;
	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	put_str(buf + i);
}

void put_hex2(u8 v)
{
	put_char("0123456789abcdef"[v >> 4]);
	put_char("0123456789abcdef"[v & 15]);
}

void put_fixed(u64 v, unsigned decimals)
{
	u64 scale = 1;
	for (unsigned i = 0; i < decimals; i++) scale *= 10;
	put_dec(v / scale);
	if (!decimals) return;
	put_char('.');
	u64 frac = v % scale;
	for (u64 s = scale / 10; s; s /= 10) {
		put_char((char)('0' + frac / s));
		frac %= s;
	}
}

void fatal(const char *what)
{
	put_str(LINE_PREFIX "error: ");
	put_str(what);
	put_char('\n');
	power_off();
}

void fatal_hex(const char *what, u64 value)
{
	put_str(LINE_PREFIX "error: ");
	put_str(what);
	put_char(' ');
	put_hex(value);
	put_char('\n');
	power_off();
}
