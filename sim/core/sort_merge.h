// A raw firmware map (E820 or UEFI entries: any order, overlapping, touching) -> the
// sorted, disjoint regions core::Plan requires. For an embedder that has no normaliser
// of its own. Freestanding: in place, no heap.
//
// The overlap rule is the core's own (the host's map::Normalize keeps its own rule and
// its change report): where entries overlap, the one that promises less free memory
// wins, ranked
//   0 usable < 1 boot services < 2 loader < 3 other RAM (runtime code/data, ACPI
//   reclaim, ACPI NVS, persistent) < 4 everything else (MMIO, soft-reserved,
//   unaccepted, unusable, reserved);
// within a rank the larger RegionKind value wins, then the larger efi_attributes (so an
// EFI_MEMORY_RUNTIME entry beats an equal one without it). Empty entries are dropped;
// touching entries of the same kind and attributes merge into one.
#pragma once
#include <stddef.h>

#include "sim/core/plan.h"
#include "sim/core/status.h"

namespace bootmap::core {

// The most entries SortAndMerge takes (its time is quadratic; real firmware maps have a
// few hundred): more is kInvalidMap with Error::request = kSortAndMergeMaxEntries.
inline constexpr size_t kSortAndMergeMaxEntries = 4096;

// Rewrites regions[0, count) as sorted, disjoint, merged regions and returns how many.
// `capacity` is the room in `regions`: the merge works in regions[count, count + result)
// before moving the result down, and the result is at most 2 * count - 1 entries (an
// entry inside another splits it). kBufferTooSmall: Error::needed is the capacity to
// retry with (the entries are left sorted by base, none lost). kInvalidMap (list kFirmware): an entry wraps past 2^64,
// Error::request is its index (nothing changed). O(count^2) time, fine for firmware maps
// (hundreds of entries).
Result<size_t> SortAndMerge(RegionInfo* regions, size_t count, size_t capacity);

// The overlap rule above: true if `a` wins over `b` where they overlap.
bool Outranks(const RegionInfo& a, const RegionInfo& b);

}  // namespace bootmap::core
