// What both entries (Multiboot, UEFI) share once they hold a normalised map and know their
// footprint: CPU facts, MTRRs, plan, size, build, IA32_PAT, the switch, the probes, `done`.
// Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/plan.h"

namespace probe {

inline constexpr uint64_t kPage = 4096;
inline uint64_t PageDown(uint64_t v) { return v & ~(kPage - 1); }
inline uint64_t PageUp(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

[[noreturn]] void Fail(const char* what, uint64_t detail = 0);

// Used ranges (nothing may take them for tables) and, of those, the transition ranges
// (identity-mapped in the new tables with their role's permissions).
struct Footprint {
  static constexpr size_t kMax = 48;
  bootmap::core::NamedRange used[kMax];
  size_t used_count = 0;
  bootmap::core::RoleRange transition[kMax];
  size_t transition_count = 0;
  // Used and transition: `used NAME BASE SIZE ROLE`.
  void Keep(const char* name, uint64_t lo, uint64_t hi, bootmap::RangeRole role);
  // Used only, not mapped (the firmware's live page tables): `reserve NAME BASE SIZE`.
  void Reserve(const char* name, uint64_t lo, uint64_t hi);
};

struct BootInputs {
  const bootmap::core::RegionInfo* regions = nullptr;
  size_t region_count = 0;
  const Footprint* footprint = nullptr;
  bool la57 = false;          // build 5-level tables and switch to them with switch_la57
  void (*switch_la57)(uint64_t root) = nullptr;  // multiboot_entry.S: SwitchTo5Level
  uint64_t boot_info_va = 0;  // something the boot still reads after the switch (a probe)
  uint64_t stack_bottom = 0;  // the lowest page of the probe's stack (a probe)
};

// Never returns: prints `done` (or `error ...`) and halts.
[[noreturn]] void RunCore(const BootInputs& in);

}  // namespace probe
