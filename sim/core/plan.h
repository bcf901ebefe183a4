// Plan: normalised regions + a Layout -> MapRequests. A layout is data: a list of
// windows, each selecting physical ranges and placing them in the virtual (or
// guest-physical) space with permissions and a memory-type rule. Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/kinds.h"
#include "sim/core/status.h"
#include "sim/core/types.h"

namespace bootmap::core {

// A normalised region (sim/map/normalize.h), as the core sees it.
struct RegionInfo {
  uint64_t base = 0;
  uint64_t size = 0;
  RegionKind kind = RegionKind::kReserved;
  uint64_t efi_attributes = 0;  // UEFI 2.10 7.2.3; 0 for E820 regions
};

// Effective MTRR type of [base, base + size); sorted, disjoint (checked by Plan);
// neighbours of one type are allowed but only cost extra splits.
struct TypeRange {
  uint64_t base = 0;
  uint64_t size = 0;
  MemType type = MemType::kUC;
};

struct NamedRange {
  uint64_t base = 0;
  uint64_t size = 0;
  const char* name = "";
};

struct CpuInfo {
  uint8_t maxphyaddr = 46;
  bool page1gb = true;
  bool la57 = false;
  bool nx = true;
};

constexpr uint32_t KindBit(RegionKind k) { return uint32_t{1} << uint32_t(k); }
inline constexpr uint32_t kAllKinds = (uint32_t{1} << kRegionKindCount) - 1;
constexpr uint32_t RamLikeKinds() {
  uint32_t m = 0;
  for (int k = 0; k < kRegionKindCount; ++k)
    if (IsRamLike(RegionKind(k))) m |= KindBit(RegionKind(k));
  return m;
}

// What a window takes.
inline constexpr uint8_t kSourceRegions = 1 << 0;      // regions whose kind is in `kinds`
inline constexpr uint8_t kSourceFramebuffer = 1 << 1;  // the framebuffer
inline constexpr uint8_t kSourceUsed = 1 << 2;         // used ranges (all, or `used_name`)
inline constexpr uint8_t kSourceTransition = 1 << 3;   // Layout::transition

enum class Placement : uint8_t {
  kIdentity,  // va = pa
  kOffset,    // va = base + pa (a direct map at a fixed offset)
  kLinear,    // va = base + (pa - lowest selected pa) (a kernel image)
  kAuto,      // va = offset + pa, offset picked from free top-level slots
};

enum class TypeRule : uint8_t {
  kByKind,  // RAM WB (or the strongest its EFI attributes allow), framebuffer WC,
            // everything else and holes UC; used/transition ranges WB
  kFixed,   // fixed_type everywhere
};

struct Window {
  const char* name = "";
  // Selection, clipped to [min_addr, max_addr) and to 2^MAXPHYADDR.
  uint8_t sources = kSourceRegions;
  uint32_t kinds = 0;                // KindBit mask
  uint32_t runtime_kinds = 0;        // also regions of these kinds carrying EFI_MEMORY_RUNTIME
  uint32_t transition_roles = kAllRoles;  // kSourceTransition: ranges with these roles (RoleBit)
  const char* used_name = nullptr;   // kSourceUsed: only this name (nullptr: all)
  uint64_t min_addr = 0;
  uint64_t max_addr = ~uint64_t{0};
  bool whole_span = false;    // also holes, from min_addr to the end of the selection
  bool span_to_max = false;   // whole_span ends at max_addr, not at the selection's end
  uint8_t round_level = kLevel4K;  // round selected ranges outward to this page size
  // Placement.
  Placement placement = Placement::kIdentity;
  uint64_t base = 0;       // kOffset / kLinear
  uint64_t base_la57 = 0;  // used instead of base with 5-level paging if non-zero
  uint32_t max_slots = 0;  // kAuto: most top-level slots allowed (0: any number)
  // Attributes.
  bool writable = true;
  bool user = false;
  bool nx = true;
  bool global = false;
  TypeRule type_rule = TypeRule::kByKind;
  MemType fixed_type = MemType::kWB;
  uint8_t max_level = kLevel1G;
};

struct Layout {
  const Window* windows = nullptr;
  size_t window_count = 0;
  const RoleRange* transition = nullptr;  // what must stay mapped across the switch
  size_t transition_count = 0;
};

// Plan checks what it relies on and fails with kInvalidMap naming the list and entry:
// regions and mtrr sorted by base, disjoint, none running past 2^64; used, transition
// and framebuffer ranges not running past 2^64 (any order, may overlap). A raw firmware
// map gets there through core::SortAndMerge (sort_merge.h). cpu.maxphyaddr above 52 is
// kInvalidCpu (SDM Vol. 3A 4.1.4).
struct PlanInput {
  const RegionInfo* regions = nullptr;  // sorted, disjoint
  size_t region_count = 0;
  const TypeRange* mtrr = nullptr;      // sorted, disjoint; may be empty: no type boundaries
  size_t mtrr_count = 0;
  CpuInfo cpu;
  Paging paging = Paging::kX86Level4;
  bool has_framebuffer = false;
  PhysRange framebuffer;
  const NamedRange* used = nullptr;
  size_t used_count = 0;
  Layout layout;
  uint64_t seed = 0;  // 0: lowest free slots; else a seeded choice among all that fit
};

// Where a window went. For kAuto, slots [first_slot, first_slot + slot_count).
struct WindowPlacement {
  bool empty = true;   // nothing selected
  uint64_t pa_lo = 0;  // selected physical extent [pa_lo, pa_hi)
  uint64_t pa_hi = 0;
  uint64_t va_lo = 0;  // virtual extent [va_lo, va_hi)
  uint64_t va_hi = 0;
  uint64_t offset = 0;  // va - pa (mod 2^64)
  uint32_t first_slot = 0;
  uint32_t slot_count = 0;
};

struct PlanOutput {
  MapRequest* requests = nullptr;  // sorted by va on success
  size_t capacity = 0;
  WindowPlacement* windows = nullptr;  // layout.window_count entries
};

// Returns the number of requests. kBufferTooSmall: error.needed is the capacity to
// retry with. kNoSlots / kTooManySlots: error.request is the window,
// error.needed the slots it needs, error.address the window's size in bytes.
// kOutOfAddressSpace: error.request is the window, error.address its first va.
// out->windows[error.request] holds the extent and placement that failed.
Result<size_t> Plan(const PlanInput& input, PlanOutput* output);

// The memory type a region gets under TypeRule::kByKind.
MemType TypeByKind(RegionKind kind, uint64_t efi_attributes);

// Top-level slot size: 512 GiB (4-level) or 256 TiB (5-level).
constexpr int SlotShift(Paging p) { return LevelShift(PagingLevels(p) - 1); }

}  // namespace bootmap::core
