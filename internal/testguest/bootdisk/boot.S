/*
 * Disk-boot test guest: a 512-byte MBR boot sector that the BIOS loads at
 * 0x7c00. It writes "DISK-READY" to COM1, then writes one sector of its own
 * data to its boot disk (LBA 1, through the BIOS, int 13h) and reports
 * "DISK-WRITTEN" (or "DISK-WRITE-FAILED"), and halts. The data is the marker
 * "UNIKERNEL-DISK-DATA tick=" and the BIOS tick count at the time, so that
 * copy-on-write tests can find what each instance wrote. Built into a raw
 * disk image and converted to qcow2 (see GNUmakefile), it proves that
 * instances boot from the first disk in both formats.
 */
	.code16
	.section .text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	cld
	movb	%dl, drive		/* the BIOS passes the boot drive in DL */
	movw	$msg, %si
	call	puts

	/* Build the sector at 0x0600: the marker, then the tick count. */
	movw	$0x0600, %di
	movw	$data, %si
	movw	$datalen, %cx
	rep movsb
	xorb	%ah, %ah
	int	$0x1a			/* CX:DX = ticks since midnight */
	movw	%cx, %ax
	stosw
	movw	%dx, %ax
	stosw

	movw	$0x0301, %ax		/* write 1 sector */
	movw	$0x0002, %cx		/* cylinder 0, sector 2 (LBA 1) */
	xorb	%dh, %dh		/* head 0 */
	movb	drive, %dl
	movw	$0x0600, %bx		/* ES:BX = 0:0600 */
	int	$0x13
	movw	$written, %si
	jnc	1f
	movw	$failed, %si
1:	call	puts
2:	cli
	hlt
	jmp	2b

puts:
	movw	$0x3f8, %dx
3:	lodsb
	testb	%al, %al
	jz	4f
	outb	%al, %dx
	jmp	3b
4:	ret

drive:	.byte	0x80
msg:	.asciz	"\r\nDISK-READY boot=mbr\r\n"
written: .asciz	"DISK-WRITTEN\r\n"
failed:	.asciz	"DISK-WRITE-FAILED\r\n"
data:	.ascii	"UNIKERNEL-DISK-DATA tick="
	.set	datalen, . - data

	.org	510
	.word	0xaa55
