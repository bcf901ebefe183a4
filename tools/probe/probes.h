// Accesses made on the core's tables after the switch, each reported as
// `probe VA ACCESS ok|fault VECTOR ERROR CR2 LABEL`. Freestanding.
#pragma once
#include <stddef.h>

#include "sim/core/plan.h"
#include "tools/probe/firmware_map.h"

namespace probe {

void RunProbes(const bootmap::core::RegionInfo* regions, size_t count,
               const bootmap::core::WindowPlacement& direct, bootmap::core::Paging paging,
               const MultibootInfo& mbi);

}  // namespace probe
