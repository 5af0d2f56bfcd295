/*
 * Minimal Multiboot v1 test unikernel for the acceptance tests.
 *
 * Boot protocol: the multiboot header below must lie in the first 8 KiB of
 * the ELF file (link.ld places its section first). The loader (QEMU's
 * built-in multiboot support, used by libvirt for <kernel> direct boot)
 * enters _start in 32-bit protected mode with EAX = 0x2BADB002 and
 * EBX = physical address of the multiboot info structure.
 *
 * Behaviour: initialise COM1 (0x3f8, 115200 8N1), take the command line
 * from the multiboot info (QEMU passes "<kernel path> <cmdline>", so the
 * first word is dropped), print exactly one line
 *     UNIKERNEL-READY cmdline=<cmdline>\r\n
 * (preceded by \r\n, because the firmware's last message on COM1 has no line
 * end) and then idle forever with cli; hlt.
 *
 * Before the ready line it reports the CPUID bits that unikernels care about,
 * so that tests can see which CPU model reached the guest:
 *     UNIKERNEL-CPUID vendor=<12 chars> hv=<12 chars> rdrand=0|1 rdseed=0|1 x2apic=0|1 ...
 *
 * Run-to-completion mode: when a word of the command line is "poweroff", the
 * guest prints its ready line and then powers itself off through ACPI, as
 * Solo5's solo5_exit() and Unikraft do: it writes SLP_TYP=0 (S5 on QEMU) with
 * SLP_EN (0x2000) to the PM1a control register, port 0x604 on QEMU's pc and
 * q35 machines (SeaBIOS puts the PM I/O base at 0x600). The PM device only
 * exists when the domain has ACPI; without it the write does nothing, and the
 * guest prints UNIKERNEL-POWEROFF-FAILED and idles.
 *
 * Build (no libc, no headers):
 *   gcc -m32 -ffreestanding -fno-pic -fno-stack-protector -O2 -nostdlib -c main.c -o main.o
 *   ld -m elf_i386 -T link.ld -o kernel.elf main.o
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_HEADER_FLAGS 0x00000003u /* page-align modules, want memory info */
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_CMDLINE (1u << 2)

#define COM1 0x3f8

/* Multiboot header, entry point and a 16 KiB stack. */
__asm__(
	".section .multiboot, \"a\"\n"
	".align 4\n"
	".long 0x1BADB002\n"                 /* magic */
	".long 0x00000003\n"                 /* flags */
	".long -(0x1BADB002 + 0x00000003)\n" /* checksum */

	".section .bss\n"
	".align 16\n"
	"stack_bottom:\n"
	".skip 16384\n"
	"stack_top:\n"

	".section .text\n"
	".global _start\n"
	".type _start, @function\n"
	"_start:\n"
	"  cli\n"
	"  mov $stack_top, %esp\n"
	"  push %ebx\n" /* multiboot info pointer */
	"  push %eax\n" /* boot magic */
	"  call kmain\n"
	"1: cli\n"
	"  hlt\n"
	"  jmp 1b\n");

struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline; /* physical address of a NUL-terminated string */
	/* remaining fields are not used */
};

static inline void outb(u16 port, u8 val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(u16 port, u16 val)
{
	__asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on */
	outb(COM1 + 0, 0x01); /* divisor 1 = 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
	outb(COM1 + 2, 0xC7); /* enable and clear FIFOs */
	outb(COM1 + 4, 0x03); /* DTR + RTS */
}

static void serial_putc(char c)
{
	/* Wait for the transmit holding register to empty (bounded, in case
	 * there is no UART at all). */
	for (u32 i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (u8)c);
}

static void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void put_reg_chars(u32 v)
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((v >> (8 * i)) & 0xff);
		serial_putc(c >= 0x21 && c < 0x7f ? c : '_');
	}
}

static void put_bit(const char *name, u32 reg, int bit)
{
	serial_puts(" ");
	serial_puts(name);
	serial_puts((reg >> bit) & 1 ? "=1" : "=0");
}

/* report_cpuid prints the vendor, the hypervisor signature (leaf 0x40000000,
 * when CPUID.1:ECX.hypervisor is set) and the feature bits unikernels check:
 * RDRAND and RDSEED (Unikraft's random driver), x2APIC (OSv), and a few
 * that tell CPU models apart. */
static void report_cpuid(void)
{
	u32 r[4], l1[4], l7[4] = {0, 0, 0, 0};
	u32 max;

	cpuid(0, 0, r);
	max = r[0];
	serial_puts("UNIKERNEL-CPUID vendor=");
	put_reg_chars(r[1]);
	put_reg_chars(r[3]);
	put_reg_chars(r[2]);
	cpuid(1, 0, l1);
	if (max >= 7)
		cpuid(7, 0, l7);
	serial_puts(" hv=");
	if ((l1[2] >> 31) & 1) {
		cpuid(0x40000000, 0, r);
		put_reg_chars(r[1]);
		put_reg_chars(r[2]);
		put_reg_chars(r[3]);
	} else {
		serial_puts("none");
	}
	put_bit("rdrand", l1[2], 30);
	put_bit("rdseed", l7[1], 18);
	put_bit("x2apic", l1[2], 21);
	put_bit("sse4_2", l1[2], 20);
	put_bit("avx", l1[2], 28);
	put_bit("avx2", l7[1], 5);
	put_bit("smep", l7[1], 7);
	serial_puts("\r\n");
}

/* has_word reports whether w is a whole word of [s, end). */
static int has_word(const char *s, const char *end, const char *w)
{
	while (s < end) {
		const char *p = s, *q = w;
		while (p < end && *q && *p == *q) {
			p++;
			q++;
		}
		if (!*q && (p == end || is_space(*p)))
			return 1;
		while (s < end && !is_space(*s))
			s++;
		while (s < end && is_space(*s))
			s++;
	}
	return 0;
}

#define PM1A_CNT 0x604
#define PM1_SLP_EN 0x2000

void kmain(u32 magic, const struct multiboot_info *mbi);

void kmain(u32 magic, const struct multiboot_info *mbi)
{
	const char *cmd = "";
	const char *end;

	serial_init();

	if (magic == MB_BOOT_MAGIC && (mbi->flags & MB_INFO_CMDLINE) && mbi->cmdline)
		cmd = (const char *)mbi->cmdline;

	/* Drop the first word (the kernel path QEMU prepends) and trim. */
	while (*cmd && !is_space(*cmd))
		cmd++;
	while (is_space(*cmd))
		cmd++;
	for (end = cmd; *end; end++)
		;
	while (end > cmd && is_space(end[-1]))
		end--;

	/* Start on a fresh line: SeaBIOS leaves "Booting from ROM.." without a
	 * newline on the same serial port. */
	serial_puts("\r\n");
	report_cpuid();
	serial_puts("UNIKERNEL-READY cmdline=");
	for (const char *p = cmd; p < end; p++)
		serial_putc(*p);
	serial_puts("\r\n");
	if (has_word(cmd, end, "poweroff")) {
		serial_puts("UNIKERNEL-POWEROFF\r\n");
		outw(PM1A_CNT, PM1_SLP_EN);
		/* Still here: no ACPI PM device answered. */
		for (volatile u32 i = 0; i < 10000000; i++)
			;
		serial_puts("UNIKERNEL-POWEROFF-FAILED\r\n");
	}
	/* Return to _start, which idles with cli; hlt. */
}
