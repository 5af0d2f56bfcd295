/*
 * Disk-boot test guest: a 512-byte MBR boot sector that the BIOS loads at
 * 0x7c00. It writes "DISK-READY" to COM1 and halts. Built into a raw disk
 * image and converted to qcow2 (see GNUmakefile), it proves that instances
 * boot from the first disk in both formats.
 */
	.code16
	.section .text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7c00, %sp
	cld
	movw	$msg, %si
	movw	$0x3f8, %dx
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	hlt
	jmp	2b

msg:	.asciz	"\r\nDISK-READY boot=mbr\r\n"

	.org	510
	.word	0xaa55
