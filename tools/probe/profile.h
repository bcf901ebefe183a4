// The `bootmap` profile's windows, as data the probe owns. They must equal what
// sim/core/host/profiles.cc gives for `bootmap` (host code the probe cannot link): the
// runner's byte-for-byte comparison of guest and host tables fails if they drift.
#pragma once
#include "sim/core/plan.h"

namespace probe {

using namespace bootmap::core;
using bootmap::RangeRole;
using bootmap::RegionKind;

inline constexpr uint32_t kNonCodeRoles = bootmap::kAllRoles & ~bootmap::RoleBit(RangeRole::kCode);
inline constexpr uint32_t kRuntimeCodeBit = KindBit(RegionKind::kRuntimeCode);

inline constexpr Window kBootmapWindows[] = {
    {.name = "transition-code", .sources = kSourceTransition,
     .transition_roles = bootmap::RoleBit(RangeRole::kCode), .placement = Placement::kIdentity,
     .writable = false, .nx = false},
    {.name = "transition-data", .sources = kSourceTransition, .transition_roles = kNonCodeRoles,
     .placement = Placement::kIdentity},
    {.name = "framebuffer", .sources = kSourceFramebuffer, .placement = Placement::kIdentity},
    {.name = "efi-runtime-code", .kinds = kRuntimeCodeBit, .placement = Placement::kIdentity,
     .writable = false, .nx = false},
    {.name = "efi-runtime-data", .kinds = KindBit(RegionKind::kRuntimeData),
     .runtime_kinds = kAllKinds & ~kRuntimeCodeBit, .placement = Placement::kIdentity},
    {.name = "direct-map", .kinds = RamLikeKinds(), .placement = Placement::kAuto, .global = true},
};
inline constexpr size_t kBootmapWindowCount = sizeof(kBootmapWindows) / sizeof(kBootmapWindows[0]);
inline constexpr size_t kDirectMapWindow = 5;

}  // namespace probe
