// The privileged instructions the probe needs, as inline functions. Freestanding.
#pragma once
#include <stdint.h>

namespace probe {

struct CpuidRegs {
  uint32_t eax, ebx, ecx, edx;
};
inline CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidRegs r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

inline uint64_t ReadMsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t(hi) << 32) | lo;
}
inline void WriteMsr(uint32_t msr, uint64_t v) {
  asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)) : "memory");
}
inline constexpr uint32_t kMsrPat = 0x277;  // IA32_PAT, SDM Vol. 3A 12.12.2

// ReadCrN / WriteCrN for the control registers the probe changes (SDM Vol. 3A 2.5).
#define PROBE_CONTROL_REGISTER(n)                                                         \
  inline uint64_t ReadCr##n() {                                                           \
    uint64_t v;                                                                           \
    asm volatile("mov %%cr" #n ", %0" : "=r"(v));                                         \
    return v;                                                                             \
  }                                                                                       \
  inline void WriteCr##n(uint64_t v) { asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
PROBE_CONTROL_REGISTER(0)
PROBE_CONTROL_REGISTER(3)
PROBE_CONTROL_REGISTER(4)
#undef PROBE_CONTROL_REGISTER

inline uint64_t ReadCr2() {  // the faulting linear address of the last #PF (SDM Vol. 3A 6.15)
  uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

[[noreturn]] inline void Halt() {
  for (;;) asm volatile("cli; hlt");
}

}  // namespace probe
