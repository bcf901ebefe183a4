// Accesses made on the core's tables after the switch, each reported as
// `probe VA ACCESS ok|fault VECTOR ERROR CR2 LABEL`. Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/plan.h"

namespace probe {

void RunProbes(const bootmap::core::RegionInfo* regions, size_t count,
               const bootmap::core::WindowPlacement& direct, bootmap::core::Paging paging,
               uint64_t boot_info_va, uint64_t stack_bottom);

}  // namespace probe
