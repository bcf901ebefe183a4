// The firmware's memory map as Multiboot hands it over, and the probe's own normaliser
// (sort, page-round, resolve overlaps, merge) into the core's RegionInfo. Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/plan.h"

namespace probe {

// Multiboot 0.6.96 section 3.3: the fields the probe reads.
struct MultibootInfo {
  uint32_t flags;
  uint32_t mem_lower, mem_upper, boot_device, cmdline;
  uint32_t mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};
inline constexpr uint32_t kMbInfoCmdline = 1u << 2;
inline constexpr uint32_t kMbInfoMmap = 1u << 6;

struct E820Entry {
  uint64_t base = 0;
  uint64_t size = 0;
  uint32_t type = 0;  // E820 type as the firmware gave it (ACPI 6.5 Table 15-312)
};

inline constexpr size_t kMaxEntries = 128;

// Copies the mmap entries (Multiboot 3.3: `size` excludes itself). Returns the count, or
// -1 if the info has no map or more than `capacity` entries.
int ReadMultibootMap(const MultibootInfo& info, E820Entry* out, size_t capacity);

// The kind bootmap gives an E820 type (maps/SCHEMA.md "The kernel's view of a region").
bootmap::RegionKind KindOfE820(uint32_t type);

// Normalises like sim/map/normalize.h's default rule, with its own code: RAM shrinks to
// whole pages, everything else grows; overlaps go to the more restrictive kind; equal
// neighbours merge. Returns the region count (at most 2 * count + 1), or -1 if `capacity`
// is too small.
int Normalize(const E820Entry* entries, size_t count, bootmap::core::RegionInfo* out,
              size_t capacity);

}  // namespace probe
