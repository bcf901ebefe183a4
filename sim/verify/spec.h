// The specification: what a map and a layout require, derived here from the layout's
// data with the verifier's own interval code, never from the planner's requests
// (sim/verify/README.md, "The specification").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/map/memory_map.h"
#include "sim/map/normalize.h"
#include "sim/verify/expected.h"

namespace bootmap::verify {

enum class Placement : uint8_t { kIdentity, kOffset, kLinear, kAuto };

// One layout window as data (maps/PROFILES.md, "Layout JSON").
struct WindowSpec {
  std::string name;
  uint32_t kinds = 0;          // bit per RegionKind
  uint32_t runtime_kinds = 0;  // also these kinds when they carry EFI_MEMORY_RUNTIME
  bool framebuffer = false;
  bool used = false;
  std::optional<std::string> used_name;  // none: every used range
  bool transition = false;
  uint32_t transition_roles = kAllRoles;
  uint64_t min_addr = 0, max_addr = ~uint64_t{0};
  bool whole_span = false, span_to_max = false;
  uint64_t round = k4K;
  Placement placement = Placement::kIdentity;
  uint64_t base = 0, base_la57 = 0;
  uint32_t max_slots = 0;
  bool writable = true, user = false, nx = true, global = false;
  std::optional<MemType> fixed_type;  // none: by kind
  uint64_t max_page = k1G;
};

struct TransitionRange {
  uint64_t base = 0, size = 0;
  RangeRole role = RangeRole::kData;
};

struct LayoutSpec {
  std::vector<WindowSpec> windows;
  std::optional<std::vector<TransitionRange>> transition;  // none: the used ranges below 4 GiB
};

// What the builder chose or could not do, per window; checked, not trusted.
struct WindowOutcome {
  bool left_out = false;               // the builder could not place it
  std::optional<uint64_t> auto_offset;  // va - pa of an auto window that was placed
};

struct SpecProblem {
  uint32_t window = 0;
  bool left_out = false;  // else: the auto offset breaks the placement rule
  std::string text;
};

struct Spec {
  std::vector<Expected> expected;
  std::vector<TransitionRange> transition;
  std::vector<SpecProblem> problems;
};

// The verifier's one model of region types (maps/SCHEMA.md): RAM and soft-reserved DRAM
// (UEFI 2.10 7.2.3 SP) write-back, or the strongest cacheability their EFI attributes allow
// (UEFI 2.10 7.2.3; UC if they name none); anything else UC.
bool IsDram(RegionKind kind);
MemType ImpliedType(RegionKind kind, uint64_t efi_attributes);

// Transition ranges: the layout's, else the map's used ranges below 4 GiB.
std::vector<TransitionRange> TransitionOf(const map::MemoryMap& map, const LayoutSpec& layout);

Spec DeriveSpec(const map::MemoryMap& map, const std::vector<map::Region>& regions, const LayoutSpec& layout,
                Format format, const std::vector<WindowOutcome>& outcomes);

}  // namespace bootmap::verify
