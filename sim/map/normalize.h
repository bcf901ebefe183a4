// Normalisation: one sorted, non-overlapping, page-granular region list from a map,
// and a record of every change made to what the firmware reported.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/map/memory_map.h"

namespace bootmap::map {

// A normalised region: half-open [base, base + size); base + size <= 2^64.
struct Region {
  uint64_t base = 0;
  uint64_t size = 0;
  RegionKind kind = RegionKind::kReserved;
  uint64_t efi_attributes = 0;  // 0 for E820-derived regions
  unsigned __int128 end() const { return (unsigned __int128)base + size; }
  uint64_t last() const { return base + (size - 1); }
  bool operator==(const Region&) const = default;
};

enum class ChangeKind : uint8_t {
  kReordered,       // input was not sorted by base
  kMerged,          // adjacent or overlapping regions of the same kind became one
  kOverlapResolved, // overlapping regions of different kinds: the overlap rule decided
  kRoundedInward,   // a RAM region shrunk to whole pages
  kRoundedOutward,  // a non-RAM region grew to whole pages
  kDropped,         // nothing left (empty, or smaller than a page after rounding)
  kSourceChosen,    // both e820 and efi given: efi used
};

struct Change {
  ChangeKind kind;
  uint64_t base = 0;  // the range the change is about
  uint64_t size = 0;
  std::string message;
};

// How an overlap of entries of different kinds is resolved (maps/SCHEMA.md "Normalisation").
enum class OverlapRule : uint8_t {
  kKindPriority,  // bootmap's own order: the larger KindPriority wins
  kLinux,         // E820 maps: the larger E820 type number wins, as Linux's
                  // e820__update_table; EFI maps fall back to kKindPriority
};

struct NormalizeOptions {
  bool round_to_pages = true;  // RAM inward, everything else outward
  OverlapRule overlap = OverlapRule::kKindPriority;
  bool record_changes = true;  // false: `changes` stays empty and no message is formatted
};

struct NormalizedMap {
  std::vector<Region> regions;  // sorted, disjoint, merged
  std::vector<Change> changes;
};

// OverlapRule::kKindPriority: the kind with the larger value wins. The project's own
// choice (more restrictive kinds win), not Linux's rule (see maps/SCHEMA.md).
int KindPriority(RegionKind k);

NormalizedMap Normalize(const MemoryMap& map, const NormalizeOptions& options = {});
// The regions alone (options.record_changes ignored): for callers that report no changes.
std::vector<Region> NormalizedRegions(const MemoryMap& map, NormalizeOptions options = {});

struct Totals {
  uint64_t usable_bytes = 0;         // kUsable + kBootServices + kLoader
  unsigned __int128 highest_usable = 0;   // end of the highest usable region
  unsigned __int128 highest_any = 0;      // end of the highest region of any kind
};
Totals ComputeTotals(const NormalizedMap& map);

}  // namespace bootmap::map
