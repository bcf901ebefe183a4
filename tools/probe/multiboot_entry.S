// The Multiboot probe's first instructions: a Multiboot v1 header, the 32-bit entry that
// enters long mode on a small static identity map, and the switch to 5-level paging.
// (ELF only; stubs.S holds what the UEFI probe shares.)

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010003  // bit 0 page-aligned modules, 1 memory map, 16 address fields
#define MSR_EFER 0xC0000080

// ---- Multiboot 0.6.96 section 3.1: header in the first 8 KiB, 4-byte aligned. The
// address fields (3.1.3, "a.out kludge") let QEMU load the flat binary (objcopy -O binary)
// without reading ELF: QEMU's loader refuses 64-bit ELF files.
  .section .multiboot, "a"
  .balign 4
mb_header:
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)
  .long mb_header        // header_addr
  .long __image_start    // load_addr
  .long __load_end       // load_end_addr
  .long __bss_end        // bss_end_addr
  .long _start32         // entry_addr

  .section .text.entry, "ax"
  .code32
  .globl _start32
// Multiboot 3.2: EAX = 0x2BADB002, EBX = the info structure, protected mode, paging off.
_start32:
  cli
  mov $__stack_top, %esp
  mov %eax, boot_magic
  mov %ebx, boot_info

  // Static identity map of the first 4 GiB with 2 MiB pages (SDM Vol. 3A 4.5):
  // PML4[0] -> PDPT, PDPT[0..3] -> PD0..3, PDk[i] = (512k + i) * 2 MiB | PS RW P.
  mov $boot_pdpt, %eax
  or $3, %eax
  mov %eax, boot_pml4
  xor %ecx, %ecx
1:
  mov %ecx, %eax
  shl $12, %eax
  add $boot_pd, %eax
  or $3, %eax
  mov %eax, boot_pdpt(,%ecx,8)
  inc %ecx
  cmp $4, %ecx
  jne 1b
  xor %ecx, %ecx
2:
  mov %ecx, %eax
  shl $21, %eax
  or $0x83, %eax
  mov %ecx, %edx
  shr $11, %edx          // bits 32+ of (i * 2 MiB): i >> 11
  mov %eax, boot_pd(,%ecx,8)
  mov %edx, boot_pd+4(,%ecx,8)
  inc %ecx
  cmp $2048, %ecx
  jne 2b

  // SDM Vol. 3A 10.8.5: CR4.PAE, CR3, EFER.LME, then CR0.PG. EFER.NXE too when
  // CPUID.80000001H:EDX[20] says the CPU has it (the core's leaves set XD).
  mov %cr4, %eax
  or $(1 << 5), %eax
  mov %eax, %cr4
  mov $boot_pml4, %eax
  mov %eax, %cr3
  mov $0x80000001, %eax
  cpuid
  xor %esi, %esi
  bt $20, %edx
  jnc 3f
  mov $(1 << 11), %esi
3:
  mov $MSR_EFER, %ecx
  rdmsr
  or $(1 << 8), %eax
  or %esi, %eax
  wrmsr
  mov %cr0, %eax
  or $0x80010001, %eax   // PG, WP (supervisor writes honour R/W), PE
  mov %eax, %cr0
  lgdt gdt_ptr
  ljmp $0x08, $start64

  .code64
start64:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %ax, %ax
  mov %ax, %fs
  mov %ax, %gs
  mov $__stack_top, %rsp
  mov boot_magic(%rip), %edi
  mov boot_info(%rip), %esi
  call ProbeMain
4:
  cli
  hlt
  jmp 4b

// ---- 5-level paging: CR4.LA57 may change only outside IA-32e mode (SDM Vol. 3A 4.1.1,
// 10.8.5.4), so leave it through compatibility mode, turn paging off, set LA57 and load the
// core's PML5 in one go, and come back. This code runs at its identity address, which the
// core's transition-code window keeps mapped; `root` must lie below 4 GiB.
  .globl SwitchTo5Level
SwitchTo5Level:          // (uint64_t root)
  push $0x18
  lea 1f(%rip), %rax
  push %rax
  lretq
  .code32
1:
  mov %cr0, %eax
  and $0x7fffffff, %eax
  mov %eax, %cr0         // paging off: IA32_EFER.LMA = 0
  mov %cr4, %eax
  or $(1 << 12), %eax
  mov %eax, %cr4         // CR4.LA57
  mov %edi, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax
  mov %eax, %cr0         // paging on: IA-32e again, now 5-level, on the core's tables
  ljmp $0x08, $2f
  .code64
2:
  ret

  .section .data
  .balign 8
  .globl boot_magic, boot_info
boot_magic: .long 0
boot_info: .long 0
// Flat GDT (SDM Vol. 3A 3.4.5): null, 64-bit code (L=1), 4 GiB data, 32-bit code (for
// the LA57 switch, which passes through protected mode). Accessed bits preset, so the
// CPU never writes them.
  .balign 16
gdt:
  .quad 0
  .quad 0x00af9b000000ffff
  .quad 0x00cf93000000ffff
  .quad 0x00cf9b000000ffff
gdt_ptr:
  .word gdt_ptr - gdt - 1
  .long gdt

  .section .bss.tables, "aw", @nobits
  .balign 4096
  .globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4 * 4096
