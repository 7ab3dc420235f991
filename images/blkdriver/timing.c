/*
 * TSC frequency, in order of trust:
 *   cpuid-40000010  the hypervisor's timing leaf (KVM/QEMU with invtsc or
 *                   vmware-cpuid-freq, VMware): TSC kHz, exact;
 *   cpuid-15        TSC/crystal ratio times the crystal frequency;
 *   pit             PIT channel 2 (gated through port 0x61) counted over
 *                   ~42 ms, median of three;
 *   cpuid-16        the processor's nominal base MHz (last resort).
 * rdtsc is allowed at CPL 3 (CR4.TSD is clear) and so are the PIT ports
 * (IOPL 3), so this all runs in user mode.
 */
#include "blkdriver.h"

u64 tsc_hz;
const char *tsc_source = "none";

/* Latches and reads PIT channel 2's count, bracketed by TSC reads; the
 * midpoint of the bracket stands for when the count was taken. On hosts
 * with nested PVM KVM each CPL 3 port access is a #GP round trip, and a
 * busy host may preempt the vCPU inside one, so of five tries the one with
 * the tightest bracket is kept. */
static u16 pit2_read(u64 *tsc_mid)
{
	u64 best = ~0ull;
	u16 count = 0;
	for (int i = 0; i < 5; i++) {
		u64 a = rdtsc();
		outb(0x43, 0x80);             /* latch channel 2 */
		u8 lo = inb(0x42), hi = inb(0x42);
		u64 b = rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc_mid = a + (b - a) / 2;
			count = (u16)(lo | hi << 8);
		}
	}
	return count;
}

/* One ~42 ms measurement: PIT ticks counted down against TSC ticks, from
 * the count itself rather than the OUT2 edge, so a late look at the
 * counter (a descheduled vCPU, a slow port access) costs nothing. */
static u64 pit_measure(void)
{
	const u32 pit_hz = 1193182, span = 50000;
	u8 saved = inb(0x61);
	outb(0x61, (saved & ~0x02) | 0x01);  /* gate 2 high, speaker off */
	outb(0x43, 0xB0);                     /* channel 2, lo/hi, mode 0, binary */
	outb(0x42, 0xFF);
	outb(0x42, 0xFF);
	u64 t0, t1, start = rdtsc();
	u16 c0 = pit2_read(&t0), c1;
	do {
		c1 = pit2_read(&t1);
		/* A PIT model whose channel 2 does not count must not hang us:
		 * give up after ~2e10 TSC ticks. */
		if (t1 - start > 20000000000ull) {
			outb(0x61, saved);
			return 0;
		}
	} while ((u16)(c0 - c1) < span);
	outb(0x61, saved);
	return (t1 - t0) * pit_hz / (u16)(c0 - c1);
}

/* The median of three measurements. */
static u64 pit_calibrate(void)
{
	u64 m[3];
	for (int i = 0; i < 3; i++)
		if (!(m[i] = pit_measure())) return 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2 - i; j++)
			if (m[j] > m[j + 1]) {
				u64 t = m[j];
				m[j] = m[j + 1];
				m[j + 1] = t;
			}
	return m[1];
}

void timing_init(void)
{
	u32 a, b, c, d, max_basic, max_hv;
	cpuid(0x40000000, 0, &max_hv, &b, &c, &d);
	if (max_hv >= 0x40000010 && max_hv < 0x40010000) {
		cpuid(0x40000010, 0, &a, &b, &c, &d);
		if (a) {
			tsc_hz = (u64)a * 1000;
			tsc_source = "cpuid-40000010";
			return;
		}
	}
	cpuid(0, 0, &max_basic, &b, &c, &d);
	if (max_basic >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c) {
			tsc_hz = (u64)c * b / a;
			tsc_source = "cpuid-15";
			return;
		}
	}
	tsc_hz = pit_calibrate();
	if (tsc_hz) {
		tsc_source = "pit";
		return;
	}
	if (max_basic >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		if (a) {
			tsc_hz = (u64)a * 1000000;
			tsc_source = "cpuid-16";
			return;
		}
	}
	fatal("cannot determine the TSC frequency (no CPUID timing leaf, PIT channel 2 does not count)");
}
