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
	serial_puts("\r\nUNIKERNEL-READY cmdline=");
	while (cmd < end)
		serial_putc(*cmd++);
	serial_puts("\r\n");
	/* Return to _start, which idles with cli; hlt. */
}
