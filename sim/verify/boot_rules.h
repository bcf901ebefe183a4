// Boot safety: what a boot touches across the switch to the new tables, whatever the
// layout asked for (sim/verify/README.md, "Boot safety").
#pragma once
#include <vector>

#include "sim/map/normalize.h"
#include "sim/verify/findings.h"
#include "sim/verify/spec.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {

// Transition code read-execute; data, stack and boot info writable and NX (with EFER.NXE).
void CheckTransitionRoles(const std::vector<Leaf>& runs, const std::vector<TransitionRange>& transition, bool nxe,
                          Findings* out);

// Every region carrying EFI_MEMORY_RUNTIME, and runtime code/data, identity-mapped with a
// type its attributes allow (UEFI 2.10 7.2.3; 8.4 SetVirtualAddressMap not modelled).
// Parts at or above 2^MAXPHYADDR cannot be mapped and are not asked for.
void CheckEfiRuntime(const std::vector<Leaf>& runs, const std::vector<map::Region>& regions, uint8_t maxphyaddr,
                     Findings* out);

// Allocatable RAM (usable, boot services) is the target of some expected mapping: a layout
// that leaves RAM out is incomplete. (Tables that miss an expected byte are `unmapped`.)
// RAM at or above 2^MAXPHYADDR cannot be mapped by anyone and is not asked for.
void CheckRamReachable(const std::vector<Expected>& expected, const std::vector<map::Region>& regions,
                       uint8_t maxphyaddr, Findings* out);

}  // namespace bootmap::verify
