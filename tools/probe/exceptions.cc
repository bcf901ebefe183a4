#include "tools/probe/exceptions.h"

#include "tools/probe/console.h"
#include "tools/probe/cpu.h"

extern "C" {
void isr_0();
void isr_6();
void isr_8();
void isr_13();
void isr_14();
extern uint64_t probe_recover_rip;
extern uint64_t probe_recover_rsp;
}

namespace probe {
namespace {

// IA-32e interrupt gate, SDM Vol. 3A 6.14.1 Figure 6-8.
struct Gate {
  uint16_t offset_lo;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;  // P | DPL 0 | type 0xE (64-bit interrupt gate)
  uint16_t offset_mid;
  uint32_t offset_hi;
  uint32_t zero;
};
static_assert(sizeof(Gate) == 16);

struct [[gnu::packed]] IdtPointer {
  uint16_t limit;
  uint64_t base;
};

// What stubs.S pushes, lowest address first, then the CPU's frame (SDM Vol. 3A 6.14.2).
struct ExceptionFrame {
  uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};

alignas(16) Gate idt[32];
FaultRecord last_fault;

void SetGate(int vector, void (*handler)()) {
  const uint64_t a = reinterpret_cast<uint64_t>(handler);
  idt[vector] = {uint16_t(a), 0x08, 0, 0x8e, uint16_t(a >> 16), uint32_t(a >> 32), 0};
}

}  // namespace

extern "C" void ProbeException(ExceptionFrame* f) {
  FaultRecord r{true, f->vector, f->error_code, f->vector == 14 ? ReadCr2() : 0};
  if (probe_recover_rip != 0 && f->vector != 8) {
    last_fault = r;
    f->rip = probe_recover_rip;  // resume where the guarded access returns "faulted"
    f->rsp = probe_recover_rsp;
    probe_recover_rip = 0;
    return;
  }
  Out("unexpected-fault").Dec(r.vector).Hex(r.error_code).Hex(r.cr2).Hex(f->rip).End();
  Out("halt").End();
  Halt();
}

void InstallIdt() {
  SetGate(0, isr_0);
  SetGate(6, isr_6);
  SetGate(8, isr_8);
  SetGate(13, isr_13);
  SetGate(14, isr_14);
  const IdtPointer p{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
  asm volatile("lidt %0" : : "m"(p));
}

FaultRecord TakeFault() {
  FaultRecord r = last_fault;
  last_fault = FaultRecord{};
  return r;
}

}  // namespace probe
