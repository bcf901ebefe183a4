// Assembly both probes share (ELF for Multiboot, COFF for UEFI): exception stubs, the
// guarded accesses the probes make, and loading the probe's own GDT. The C++ side may be
// System V (Multiboot) or Microsoft x64 (UEFI): ARG0 is the first argument either way.
#ifdef _WIN32
#define ARG0 %rcx
#define ARG1 %rdx
#else
#define ARG0 %rdi
#define ARG1 %rsi
#endif

  .text
// ---- Exceptions: #GP (13) and #PF (14) push an error code (SDM Vol. 3A 6.13); the
// others get a zero so one frame layout serves all. The C++ handler may change the
// saved RIP and RSP (the recovery address) before IRETQ.
.macro STUB vec, has_error
  .globl isr_\vec
isr_\vec:
  .if \has_error == 0
  push $0
  .endif
  push $\vec
  jmp isr_common
.endm
  STUB 0, 0
  STUB 6, 0
  STUB 8, 1
  STUB 13, 1
  STUB 14, 1
isr_common:
  push %rax
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %r8
  push %r9
  push %r10
  push %r11
  mov %rsp, %rdi        // ExceptionFrame*: first argument in both ABIs
  mov %rsp, %rcx
  cld
  sub $32, %rsp         // Microsoft x64 shadow space (RSP stays 16-byte aligned: SDM 6.14.2)
  call ProbeException
  add $32, %rsp
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  pop %rdx
  pop %rcx
  pop %rax
  add $16, %rsp         // vector, error code
  iretq

// ---- Guarded accesses: each records the recovery point (where a fault resumes, with the
// stack as it was on entry) in probe_recover_rip/rsp, then touches memory once.
// Return 0 after a completed access; the fault path returns 1.
  .globl ProbeRead
ProbeRead:               // (uint64_t va)
  lea probe_fault_ret(%rip), %rax
  mov %rax, probe_recover_rip(%rip)
  mov %rsp, probe_recover_rsp(%rip)
  mov (ARG0), %rax
  xor %eax, %eax
  movq $0, probe_recover_rip(%rip)
  ret
  .globl ProbeWrite
ProbeWrite:              // (uint64_t va): writes back the value it read
  lea probe_fault_ret(%rip), %rax
  mov %rax, probe_recover_rip(%rip)
  mov %rsp, probe_recover_rsp(%rip)
  mov (ARG0), %rax
  mov %rax, (ARG0)
  xor %eax, %eax
  movq $0, probe_recover_rip(%rip)
  ret
  .globl ProbeExec
ProbeExec:               // (uint64_t va): calls va, which must hold a RET
  lea probe_fault_ret(%rip), %rax
  mov %rax, probe_recover_rip(%rip)
  mov %rsp, probe_recover_rsp(%rip)
  call *ARG0
  xor %eax, %eax
  movq $0, probe_recover_rip(%rip)
  ret
probe_fault_ret:
  mov $1, %eax
  ret

  .globl ProbeRetInstruction
  .balign 16
ProbeRetInstruction:     // a RET the exec probes call at other addresses
  ret

// LoadGdt(const GdtPointer*): the probe's flat GDT (selector 0x08 64-bit code, 0x10
// data), CS reloaded by a far return (SDM Vol. 3A 3.4.3); the UEFI probe's, after
// ExitBootServices, so nothing of the firmware's stays in use.
  .globl LoadGdt
LoadGdt:
  lgdt (ARG0)
  pop %rax               // return address
  push $0x08
  push %rax
  mov $0x10, %ecx
  mov %ecx, %ds
  mov %ecx, %es
  mov %ecx, %ss
  xor %ecx, %ecx
  mov %ecx, %fs
  mov %ecx, %gs
  lretq

// RunOnStack(void (*fn)(void*), void* arg, void* top): calls fn(arg) on a new stack;
// fn never returns.
  .globl RunOnStack
RunOnStack:
#ifdef _WIN32
  mov %r8, %rsp
  mov ARG0, %rax
  mov ARG1, %rcx
  sub $32, %rsp
#else
  mov %rdx, %rsp
  mov ARG0, %rax
  mov ARG1, %rdi
#endif
  call *%rax
1:
  cli
  hlt
  jmp 1b

  .data
  .balign 8
  .globl probe_recover_rip, probe_recover_rsp
probe_recover_rip: .quad 0
probe_recover_rsp: .quad 0
