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
 * end) and then idle forever with cli; hlt. Before it idles it stops the
 * firmware's 18.2 Hz timer tick (the PIT to one-shot, every PIC line masked),
 * as a tickless unikernel with nothing to wait for does: under TCG each tick
 * woke QEMU's main loop and vCPU thread, about 2 ms of host CPU per second
 * per idle guest, which alone saturates two host CPUs at 1,000 guests.
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
 * PVH entry (the same binary under Xen): a Xen ELF note of type 18
 * (XEN_ELFNOTE_PHYS32_ENTRY) names _pvh_start, which Xen enters in flat 32-bit
 * protected mode with paging off and EBX = physical address of the
 * hvm_start_info structure, whose cmdline_paddr holds the bare command line.
 * QEMU's loader tries the multiboot header before the PVH note, so QEMU still
 * boots the multiboot entry. On Xen (CPUID leaves 0x40000000.. carry
 * "XenVMMXenVMM") the guest installs the hypercall page that the leaf after the
 * signature's names (so the same code runs on AMD and Intel), finds the console
 * ring's page and event channel with HVMOP_get_param (HVM_PARAM_CONSOLE_PFN and
 * _EVTCHN), and writes the same lines into the ring, which xenconsoled logs;
 * "poweroff" ends the guest with SCHEDOP_shutdown (SHUTDOWN_poweroff). It idles
 * with SCHEDOP_block, because Xen powers off a guest whose last vCPU halts with
 * interrupts disabled. Under a
 * PVH boot that is not Xen (QEMU's own PVH loader) it writes to COM1 as above.
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
#define PM1A_CNT 0x604
#define PM1_SLP_EN 0x2000

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
	"idle:\n"
	"1: cli\n"
	"  hlt\n"
	"  jmp 1b\n"

	/* PVH entry: the same stack, the start-info pointer as argument. */
	".global _pvh_start\n"
	".type _pvh_start, @function\n"
	"_pvh_start:\n"
	"  cli\n"
	"  mov $stack_top, %esp\n"
	"  push %ebx\n" /* hvm_start_info pointer */
	"  call pvh_main\n"
	"  jmp idle\n"

	/* The Xen ELF note that makes this ELF a PVH kernel (namesz, descsz,
	 * type, name, then the 32-bit entry address). */
	".pushsection .note.Xen, \"a\", @note\n"
	".align 4\n"
	".long 4\n"
	".long 4\n"
	".long 18\n" /* XEN_ELFNOTE_PHYS32_ENTRY */
	".asciz \"Xen\"\n"
	".align 4\n"
	".long _pvh_start\n"
	".popsection\n"

	/* The hypercall page that Xen fills in (one page, page aligned). */
	".pushsection .bss\n"
	".align 4096\n"
	".global hypercall_page\n"
	"hypercall_page:\n"
	".skip 4096\n"
	".popsection\n");

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

/* Xen console ring (struct xencons_interface): out[] at 1024, 2048 bytes,
 * then in_cons, in_prod, out_cons, out_prod. */
struct xencons {
	char in[1024];
	char out[2048];
	volatile u32 in_cons, in_prod;
	volatile u32 out_cons, out_prod;
};

#define HYPERVISOR_sched_op 29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_hvm_op 34
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SHUTDOWN_poweroff 0
#define EVTCHNOP_send 4
#define HVMOP_get_param 1
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18
#define DOMID_SELF 0x7FF0
#define HVM_START_MAGIC 0x336ec578u

extern u8 hypercall_page[4096];

static struct xencons *xen_cons; /* set when writing to the Xen console */
static u32 xen_evtchn;

/* hypercall2 calls entry nr of the hypercall page with the 32-bit ABI
 * (arguments in EBX and ECX, result in EAX). Xen may clobber the other
 * argument registers. */
static long hypercall2(u32 nr, u32 a1, u32 a2)
{
	long ret;
	u32 b = a1, c = a2;
	__asm__ volatile("call *%[fn]"
			 : "=a"(ret), "+b"(b), "+c"(c)
			 : [fn] "a"(hypercall_page + nr * 32)
			 : "memory", "edx", "esi", "edi");
	return ret;
}

static void xen_notify(void)
{
	u32 port = xen_evtchn;
	hypercall2(HYPERVISOR_event_channel_op, EVTCHNOP_send, (u32)&port);
}

static void xen_putc(char c)
{
	struct xencons *r = xen_cons;
	/* Wait (bounded) for xenconsoled to make room. */
	for (u32 i = 0; i < 1000 && r->out_prod - r->out_cons >= sizeof(r->out); i++) {
		xen_notify();
		hypercall2(HYPERVISOR_sched_op, SCHEDOP_yield, 0);
	}
	if (r->out_prod - r->out_cons >= sizeof(r->out))
		return;
	r->out[r->out_prod & (sizeof(r->out) - 1)] = c;
	__asm__ volatile("" ::: "memory"); /* the byte before the index (x86 keeps store order) */
	r->out_prod = r->out_prod + 1;
}

static void out_putc(char c)
{
	if (xen_cons)
		xen_putc(c);
	else
		serial_putc(c);
}

static void serial_puts(const char *s)
{
	while (*s)
		out_putc(*s++);
	if (xen_cons)
		xen_notify();
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
		out_putc(c >= 0x21 && c < 0x7f ? c : '_');
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


/* xen_base returns the base of Xen's CPUID leaves (0x40000000, or a later
 * multiple of 0x100 when Xen also offers Viridian), 0 when not on Xen. */
static u32 xen_base(void)
{
	u32 r[4];
	cpuid(1, 0, r);
	if (!((r[2] >> 31) & 1))
		return 0;
	for (u32 base = 0x40000000; base < 0x40010000; base += 0x100) {
		cpuid(base, 0, r);
		if (r[1] == 0x566e6558 && r[2] == 0x65584d4d && r[3] == 0x4d4d566e && r[0] - base >= 2)
			return base;
	}
	return 0;
}

struct xen_hvm_param {
	u16 domid;
	u16 pad;
	u32 index;
	u32 value_lo, value_hi;
};

static u32 hvm_param(u32 index)
{
	struct xen_hvm_param p = {DOMID_SELF, 0, index, 0, 0};
	if (hypercall2(HYPERVISOR_hvm_op, HVMOP_get_param, (u32)&p) != 0)
		return 0;
	return p.value_lo;
}

/* xen_console_init installs the hypercall page and finds the console ring.
 * It leaves xen_cons unset (COM1 output) when any step fails. */
static void xen_console_init(void)
{
	u32 base = xen_base(), r[4], pfn, port;
	if (!base)
		return;
	cpuid(base + 2, 0, r); /* EAX: hypercall pages, EBX: the MSR that installs them */
	if (r[0] < 1)
		return;
	__asm__ volatile("wrmsr" : : "c"(r[1]), "a"((u32)hypercall_page), "d"(0) : "memory");
	pfn = hvm_param(HVM_PARAM_CONSOLE_PFN);
	port = hvm_param(HVM_PARAM_CONSOLE_EVTCHN);
	if (!pfn || pfn >= (1u << 20))
		return;
	xen_evtchn = port;
	xen_cons = (struct xencons *)(pfn << 12);
}

static void poweroff(void)
{
	serial_puts("UNIKERNEL-POWEROFF\r\n");
	if (xen_cons) {
		u32 reason = SHUTDOWN_poweroff;
		hypercall2(HYPERVISOR_sched_op, SCHEDOP_shutdown, (u32)&reason);
	} else {
		outw(PM1A_CNT, PM1_SLP_EN);
	}
	/* Still here: nothing powered the guest off. */
	for (volatile u32 i = 0; i < 10000000; i++)
		;
	serial_puts("UNIKERNEL-POWEROFF-FAILED\r\n");
}

/* run prints the report and the ready line for the command line [cmd, end),
 * then powers off when asked to. */
static void run(const char *cmd)
{
	const char *end;

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
		out_putc(*p);
	serial_puts("\r\n");
	if (has_word(cmd, end, "poweroff"))
		poweroff();
	/* Return to the entry, which idles with cli; hlt. */
}

/* quiet_timers stops the periodic tick that the firmware left running: PIT
 * channel 0 goes to mode 0 (interrupt on terminal count, so it fires once
 * more and stops), and both PICs mask every line. */
static void quiet_timers(void)
{
	outb(0x43, 0x30); /* channel 0, low then high byte, mode 0, binary */
	outb(0x40, 0x00);
	outb(0x40, 0x00); /* count 65536: one last edge in about 55 ms */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void kmain(u32 magic, const struct multiboot_info *mbi);

void kmain(u32 magic, const struct multiboot_info *mbi)
{
	const char *cmd = "";

	serial_init();

	if (magic == MB_BOOT_MAGIC && (mbi->flags & MB_INFO_CMDLINE) && mbi->cmdline)
		cmd = (const char *)mbi->cmdline;

	/* Drop the first word (the kernel path QEMU prepends). */
	while (*cmd && !is_space(*cmd))
		cmd++;
	run(cmd);
	quiet_timers();
}

/* The start of struct hvm_start_info: magic, version, flags, nr_modules,
 * modlist_paddr, then cmdline_paddr (64-bit fields as two halves). */
struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u32 modlist_lo, modlist_hi;
	u32 cmdline_lo, cmdline_hi;
};

void pvh_main(const struct hvm_start_info *si);

void pvh_main(const struct hvm_start_info *si)
{
	const char *cmd = "";

	xen_console_init();
	if (!xen_cons)
		serial_init();
	if (si && si->magic == HVM_START_MAGIC && si->cmdline_lo && !si->cmdline_hi)
		cmd = (const char *)si->cmdline_lo;
	run(cmd);
	/* Xen takes HLT with interrupts off as the last vCPU going down and
	 * powers the domain off: idle by blocking in Xen instead. No event
	 * reaches the guest (it registers no callback), so it stays there. */
	while (xen_cons)
		hypercall2(HYPERVISOR_sched_op, SCHEDOP_block, 0);
}
