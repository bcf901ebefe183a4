// The guest's MTRRs, read from the MSRs, reported for the map file, and turned into the
// core's effective-type ranges with the probe's own code (the rules of SDM Vol. 3A 12.11).
// Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/plan.h"

namespace probe {

struct MtrrState {
  bool present = false;  // CPUID.01H:EDX[12]
  bool enabled = false;  // IA32_MTRR_DEF_TYPE.E
  bool fixed_enabled = false;  // IA32_MTRR_DEF_TYPE.FE (and MTRRCAP.FIX)
  uint8_t default_type = 0;
  uint8_t fixed[88] = {};  // 8 x 64 KiB, 16 x 16 KiB, 64 x 4 KiB (SDM Vol. 3A 12.11.2.2)
  struct Var {
    uint64_t base, mask;  // address bits only; mask without the valid bit
    uint8_t type;
  } var[32] = {};
  int var_count = 0;  // valid variable ranges
};

void ReadMtrrs(MtrrState* s);
// `mtrr default T`, `mtrr-fixed BASE SIZE T` (runs of one type), `mtrr-var BASE MASK T`.
void ReportMtrrs(const MtrrState& s);
// Effective type of every range of [0, 2^maxphyaddr), sorted, neighbours differ (an
// undefined overlap is UC but kept apart). Returns the count, -1 if `capacity` is short.
int EffectiveTypes(const MtrrState& s, uint8_t maxphyaddr, bootmap::core::TypeRange* out, size_t capacity);

}  // namespace probe
